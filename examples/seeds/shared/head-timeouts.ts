/**
 * The bounds of a request head for a seed's node:http server. Node's own (60 s, checked every 30 s) let a
 * head sent a byte at a time hold its connection for about 90 s, out of reach of every per-address limit,
 * which counts requests: a head gets the time a body may stall (faultline's read timeout, 10 s by default),
 * and `clientError` answers it with the page's 408 (or 400). The whole request keeps node's 300 s, or more
 * when a stall may last longer (node refuses a head bound past it).
 * @example
 * const server = createServer(headTimeouts(10_000), handler);
 */
export function headTimeouts(readTimeout = 10_000) {
  return {
    headersTimeout: readTimeout,
    requestTimeout: Math.max(readTimeout, 300_000),
    connectionsCheckingInterval: Math.min(readTimeout, 1000),
  };
}
