import type { ErrorHandler, ErrorHandlerOptions } from './handle-error.js';
import { handleError } from './handle-inline.js';
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
  const { status, headers, body } =
    typeof (options as ErrorHandler).handle === 'function'
      ? (options as ErrorHandler).handle(thrown, request)
      : handleError(thrown, request, options as ErrorHandlerOptions);
  return new Response(body, { status, headers });
}
