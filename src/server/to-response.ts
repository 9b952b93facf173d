import { type ErrorHandler, type ErrorHandlerOptions, toErrorHandler } from './handle-error.js';
import type { RequestView } from './request.js';

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
  const { status, headers, body } = toErrorHandler(options).handle(thrown, request);
  return new Response(body, { status, headers });
}
