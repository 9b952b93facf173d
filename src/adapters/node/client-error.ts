import type { Socket } from 'node:net';
import { standardErrors } from '../../catalog/standard-errors.js';
import type { ErrorHandler } from '../../server/handle-error.js';
import { clientErrorAnswer } from '../../server/routing.js';

/**
 * A `clientError` listener for a node:http server: a request node's parser refuses (a bare CR in a
 * header, an invalid request line, headers past the size limit) gets the catalog's 400 in the API's
 * format instead of node's bare answer.
 */
export function clientErrorListener(
  errors: ErrorHandler,
): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    if (error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const thrown = standardErrors.builtin('badRequest', undefined, {
      message: 'The request is malformed.',
      cause: error,
    });
    const { status, headers, body } = errors.handle(thrown, {});
    socket.end(clientErrorAnswer(status, headers, body));
  };
}
