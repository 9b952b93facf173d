import { type HeadersLike, headerOf } from '../server/request.js';
import { raise } from './raise.js';
import type { Guard } from './types.js';

/**
 * The lines of one header: each line where the view keeps them (node's raw headers, under node:http,
 * Express and Hono on node), else the one value the framework made of them (Fetch `Headers` and node's
 * `req.headers` join repeated lines with ", ").
 */
function linesOf(headers: HeadersLike | undefined, name: string): string | readonly string[] | undefined {
  // node's view of `rawHeaders` (src/adapters/node/request.ts) gives each line of a header apart.
  const lines = (headers as { lines?: unknown } | undefined)?.lines;
  if (typeof lines === 'function') {
    const found = (lines as (name: string) => string[]).call(headers, name);
    return found.length > 1 ? found : found[0];
  }
  const value = (headers as Record<string, unknown> | undefined)?.[name];
  return Array.isArray(value) ? (value as string[]) : headerOf(headers, name);
}

/**
 * The value of a header that is not a list, or undefined when it is absent. RFC 9110 §5.3: such a field
 * must not be sent on several lines, and a recipient may reject it. A guard that checked the first line
 * while the application reads the lines joined (`demo-app, victim-app`) would vouch for a value nobody
 * uses, so a header sent twice is refused with `role` (400). Where the framework joined the lines before
 * faultline sees them (Fetch `Headers`, Fastify), the guard checks the joined value the application reads.
 */
export function singleHeader(
  headers: HeadersLike | undefined,
  name: string,
  role: 'invalidHeader' | 'idempotencyKeyInvalid' = 'invalidHeader',
  label: string = name,
): string | undefined {
  const lines = linesOf(headers, name);
  if (typeof lines !== 'object') return lines;
  throw role === 'invalidHeader' ? raise(role, { header: label }) : raise(role);
}

/**
 * The value of a header that names the caller (an app id, an API key): one line, and no comma, since a
 * comma is what every framework puts between repeated lines and no key or id holds one. Refused with the
 * catalog's `INVALID_HEADER` (400) otherwise, alike on every adapter.
 */
export function identityHeader(
  headers: HeadersLike | undefined,
  name: string,
  label: string = name,
): string | undefined {
  const value = singleHeader(headers, name, 'invalidHeader', label);
  if (value?.includes(',')) throw raise('invalidHeader', { header: label });
  return value;
}

/** Options of `requireHeader`. */
export interface RequireHeaderOptions {
  /** The header's name (any case). */
  name: string;
  /** The format the value must match, as a pattern or a predicate. */
  format?: RegExp | ((value: string) => boolean);
  /**
   * The longest value accepted.
   * @default 1024
   */
  maxLength?: number;
  /**
   * Whether the header is a list (RFC 9110 §5.3), whose lines may repeat: the format then checks them
   * joined with ", ". Otherwise a header sent on several lines is refused as invalid.
   * @default false
   */
  list?: boolean;
  /** Messages replacing the catalog's for this header, e.g. `{ missing: 'Missing X-App-ID header' }`. */
  messages?: { missing?: string; invalid?: string };
}

/**
 * Requires a header and checks its format; answers the catalog's `MISSING_HEADER` or `INVALID_HEADER`
 * (400) with `details.header`. A header that is not a list and comes on several lines is invalid.
 * @example
 * const appId = requireHeader({ name: 'X-App-ID', format: /^[\w-]{1,64}$/ });
 */
export function requireHeader(options: RequireHeaderOptions): Guard {
  const name = options.name.toLowerCase();
  const maxLength = options.maxLength ?? 1024;
  const { format } = options;
  const matches =
    format === undefined
      ? () => true
      : typeof format === 'function'
        ? format
        : (value: string) => format.test(value);
  const details = { header: options.name };
  const invalid = () => raise('invalidHeader', details, undefined, options.messages?.invalid);
  return {
    kind: 'requireHeader',
    check({ request }) {
      const lines = linesOf(request.headers, name);
      // Denials are returned, as `rateLimit`'s are.
      if (typeof lines === 'object' && !options.list) return invalid();
      const value = typeof lines === 'object' ? lines.join(', ') : lines;
      if (value === undefined || value === '') {
        return raise('missingHeader', details, undefined, options.messages?.missing);
      }
      if (value.length > maxLength || !matches(value)) return invalid();
      return undefined;
    },
  };
}
