import { headerOf } from '../server/request.js';
import { raise } from './raise.js';
import type { Guard } from './types.js';

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
  /** Messages replacing the catalog's for this header, e.g. `{ missing: 'Missing X-App-ID header' }`. */
  messages?: { missing?: string; invalid?: string };
}

/**
 * Requires a header and checks its format; answers the catalog's `MISSING_HEADER` or `INVALID_HEADER`
 * (400) with `details.header`.
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
  return {
    kind: 'requireHeader',
    check({ request }) {
      const value = headerOf(request.headers, name);
      if (value === undefined || value === '') {
        throw raise('headerMissing', details, undefined, options.messages?.missing);
      }
      if (value.length > maxLength || !matches(value)) {
        throw raise('headerInvalid', details, undefined, options.messages?.invalid);
      }
      return undefined;
    },
  };
}
