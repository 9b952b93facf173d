import { headerOf, type RequestView } from './request.js';

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
   * Whether to trust an inbound id at all; off means every response gets a fresh one.
   * @default true
   */
  trustInbound?: boolean;
}

// Visible ASCII only: no spaces, no control characters (CR/LF would split a header or a log line).
const safeId = /^[\x21-\x7e]{1,128}$/;

/** True for an inbound id safe to echo: 1–128 visible ASCII characters. */
export function isSafeCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && safeId.test(value);
}

/** Compiled correlation settings: which header to read and write, and how to make an id. */
export interface Correlation {
  readonly header: string;
  readonly responseHeader: string;
  /** The inbound id when it is safe and trusted, else a new one. */
  pick(inbound: string | undefined): string;
  /** The id of a request: `pick` of its inbound header. */
  of(request: RequestView): string;
}

/** Compiles correlation options once. */
export function createCorrelation(options: CorrelationOptions = {}): Correlation {
  const header = (options.header ?? 'x-request-id').toLowerCase();
  const generate = options.generate ?? (() => crypto.randomUUID());
  const trust = options.trustInbound ?? true;
  const pick = (inbound: string | undefined) =>
    trust && isSafeCorrelationId(inbound) ? inbound : generate();
  return {
    header,
    responseHeader: (options.responseHeader ?? header).toLowerCase(),
    pick,
    of: (request) => pick(headerOf(request.headers, header)),
  };
}
