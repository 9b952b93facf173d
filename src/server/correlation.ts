import type { ErrorHandler } from './handle-error.js';
import type { RequestView } from './request.js';

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
  pick(inbound: string | undefined): string;
}

/** Compiles correlation options once. */
export function createCorrelation(options: CorrelationOptions = {}): Correlation {
  const header = (options.header ?? 'x-request-id').toLowerCase();
  const generate = options.generate ?? (() => crypto.randomUUID());
  const trust = options.trustInbound ?? true;
  return {
    header,
    responseHeader: (options.responseHeader ?? header).toLowerCase(),
    pick: (inbound) => (trust && isSafeCorrelationId(inbound) ? inbound : generate()),
  };
}

/**
 * The correlation id an error handler gives `request`, by the rule of its HTTP answers (inbound header,
 * `trustInbound`, `generate`): what a WebSocket handshake's 101 and its events carry, so that HTTP and
 * WebSocket cannot choose differently.
 * @example
 * const id = correlationIdFor(errors, { headers: request.headers });
 */
export function correlationIdFor(handler: ErrorHandler, request: RequestView): string {
  // The handler's renderer is the one place the choice is made; a probe error asks it without a copy.
  const probe = handler.catalog.builtin('internal');
  const rendered = handler.render(probe, request);
  return rendered.headers[handler.correlationHeader] ?? probe.correlationId!;
}
