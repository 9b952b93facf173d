import { FaultlineConfigError } from '../catalog/config-error.js';
import { headerOf, type RequestView } from './request.js';

/**
 * Where a correlation id may come from: the framework's request id (Fastify's `request.id`, pino-http's
 * `req.id`, Hono's `c.get('requestId')`), the trace-id of a valid W3C `traceparent`, or the safe inbound
 * header. A fresh id is the last resort, always.
 */
export type CorrelationSource = 'framework' | 'traceparent' | 'header';

const sources: readonly CorrelationSource[] = ['framework', 'traceparent', 'header'];

/** Options of correlation ids. */
export interface CorrelationOptions {
  /**
   * The inbound header whose id is kept when it is safe.
   * @default 'x-request-id'
   */
  header?: string;
  /**
   * The response header the id is set on.
   * @default the inbound header
   */
  responseHeader?: string;
  /**
   * Makes a new id when the request has no safe one.
   * @default crypto.randomUUID
   */
  generate?: () => string;
  /**
   * Whether to trust an inbound id at all: off ignores the inbound header and `traceparent`. The
   * framework's id stays the framework's choice (it may itself come from a header it was told to trust).
   * @default true
   */
  trustInbound?: boolean;
  /**
   * The sources tried in order; the first that gives a safe id wins, else a fresh one is made. The
   * default puts the framework's id first, so that the id answered is the one in the framework's own
   * log lines for the request; without one, a safe inbound header is kept, as before.
   * @default ['framework', 'header']
   */
  from?: readonly CorrelationSource[];
}

// The characters of ids that gateways and tracers make (UUIDs, ULIDs, base64, `Root=…;Parent=…`): visible
// ASCII without markup, quotes, backslashes, brackets or the comma of a header list, so that an id echoed
// into a body, a header, a log line or a page is never more than text. No spaces or controls (CR/LF would
// split a header or a log line).
const safeId = /^[A-Za-z0-9!#$%*+\-./:;=?@^_|~]{1,128}$/;

/**
 * True for an inbound id safe to echo: 1–128 characters of letters, digits and `! # $ % * + - . / : ; = ?
 * @ ^ _ | ~`.
 */
export function isSafeCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && safeId.test(value);
}

// W3C Trace Context, version 00: `00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>`, lower case.
const traceparent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const zeros = /^0+$/;

/** The trace-id of a valid version-00 `traceparent` (neither id all zeros), else `undefined`. */
export function traceIdOf(value: string | undefined): string | undefined {
  const match = value === undefined ? null : traceparent.exec(value);
  if (match === null || zeros.test(match[1]!) || zeros.test(match[2]!)) return undefined;
  return match[1];
}

// A framework's id is a string or a number (pino-http counts requests by default).
function frameworkId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return isSafeCorrelationId(value) ? value : undefined;
}

function compileSources(from: unknown): readonly CorrelationSource[] {
  if (from === undefined) return ['framework', 'header'];
  if (!Array.isArray(from) || !from.every((source) => sources.includes(source)))
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_OPTION',
      `correlation.from is ${JSON.stringify(from) ?? typeof from}; give a list of 'framework', 'traceparent' and 'header'`,
    );
  return [...from];
}

/** Compiled correlation settings: which header to read and write, and how to make an id. */
export interface Correlation {
  readonly header: string;
  readonly responseHeader: string;
  /** The inbound id when it is safe and trusted, else a new one. */
  pick(inbound: string | undefined): string;
  /** The id of a request: the first safe id of its sources, in order, else a new one. */
  of(request: RequestView): string;
}

/** Compiles correlation options once. */
export function createCorrelation(options: CorrelationOptions = {}): Correlation {
  const header = (options.header ?? 'x-request-id').toLowerCase();
  const generate = options.generate ?? (() => crypto.randomUUID());
  const trust = options.trustInbound ?? true;
  const order = compileSources(options.from);
  const pick = (inbound: string | undefined) =>
    trust && isSafeCorrelationId(inbound) ? inbound : generate();
  const of = (request: RequestView): string => {
    for (const source of order) {
      let id: string | undefined;
      if (source === 'framework') id = frameworkId(request.requestId);
      else if (!trust) continue;
      else if (source === 'header') {
        const inbound = headerOf(request.headers, header);
        id = isSafeCorrelationId(inbound) ? inbound : undefined;
      } else id = traceIdOf(headerOf(request.headers, 'traceparent'));
      if (id !== undefined) return id;
    }
    return generate();
  };
  return { header, responseHeader: (options.responseHeader ?? header).toLowerCase(), pick, of };
}
