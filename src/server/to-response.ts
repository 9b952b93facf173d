import { createErrorHandler, type ErrorHandler, type ErrorHandlerOptions } from './handle-error.js';
import type { RequestView } from './request.js';

const handlers = new WeakMap<ErrorHandlerOptions, ErrorHandler>();

/**
 * Answers anything thrown as a Web `Response`, for fetch-style servers (Bun, Deno, workers, Next.js).
 * @example
 * try { return await route(request); } catch (err) { return toResponse(err, request, { catalog }); }
 */
export function toResponse(
  thrown: unknown,
  request?: RequestView,
  options: ErrorHandlerOptions | ErrorHandler = {},
): Response {
  let handler: ErrorHandler;
  if ('handle' in options && typeof options.handle === 'function') {
    handler = options;
  } else {
    const opts = options as ErrorHandlerOptions;
    handler = handlers.get(opts) ?? createErrorHandler(opts);
    handlers.set(opts, handler);
  }
  const { status, headers, body } = handler.handle(thrown, request);
  return new Response(body, { status, headers });
}
