import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { roleError } from '../../catalog/role-error.js';
import type { ErrorHandler } from '../../server/handle-error.js';
import { clientErrorAnswer } from '../../server/routing.js';
import { isLingering } from './linger.js';
import { sendError } from './sink.js';

// Node's own fields on a server socket: the response in flight, and the parser with the request it reads.
type ServerSocket = Socket & {
  _httpMessage?: ServerResponse | null;
  parser?: { incoming?: IncomingMessage | null } | null;
  [framingFailed]?: true;
};

// How long the handler of a request whose body failed has to answer before the 400 is sent for it. A
// reader answers at once; some wait for the request to finish first (body-parser's `express.json()`
// waits for the connection to close), and the answer must not wait for a client that will not close.
const answerGrace = 1000;

// Marks a socket whose request body could not be framed: its parser stays failed, and every later byte
// raises the same error again.
const framingFailed = Symbol('faultline.framingFailed');

/**
 * The request whose body node's parser failed on, when it was dispatched (its head was read) and its
 * answer has not started: the one in flight, or one pipelined behind it, whose answer waits its turn.
 */
function dispatchedRequest(socket: ServerSocket): IncomingMessage | undefined {
  const incoming = socket.parser?.incoming;
  if (!incoming || incoming.complete || incoming.destroyed) return undefined;
  const response = socket._httpMessage;
  if (response?.req === incoming && response.headersSent) return undefined;
  return incoming;
}

/**
 * Fails the body of a dispatched request without closing its socket, which must still carry the
 * answer: a reader sees the stream end in an error (or, when none listens, a destroyed stream, as a
 * reader that comes later does) and never the bytes read so far as a whole body. `IncomingMessage`'s
 * own destroy would also destroy the socket; this one only settles the stream, emitting 'error' when
 * someone listens, as node does for an aborted request.
 */
function failBody(req: IncomingMessage, error: Error): void {
  const stream = req as IncomingMessage & {
    _destroy(error: Error | null, callback: (error?: Error | null) => void): void;
  };
  stream._destroy = (cause, callback) => {
    stream.aborted = true;
    stream.emit('aborted');
    callback(stream.listenerCount('error') > 0 ? cause : null);
  };
  stream.destroy(error);
}

// How long a socket answered here is kept for its peer to read the answer and close.
const answeredGrace = 2000;

/**
 * A `clientError` listener for a node:http server: a request node's parser refuses (a bare CR in a
 * header, an invalid request line, headers past the size limit) gets the catalog's 400 in the API's
 * format instead of node's bare answer. A body whose framing fails after its request was dispatched
 * (a chunk size that is not hex or overflows, a `Transfer-Encoding` other than chunked) fails that
 * request's body instead: its handler answers the catalog's 400 on its own response, with its
 * correlation id, and the connection closes after it, as nginx does.
 */
export function clientErrorListener(
  errors: ErrorHandler,
): (error: Error & { code?: string }, socket: Socket) => void {
  const answer = (socket: Socket, cause: Error & { code?: string }) => {
    // A head over node's limit (node's own answer is 431) is the catalog's bad request, with the status the
    // catalog documents for it, as nginx answers 400 "Request Header Or Cookie Too Large". A head that
    // stalls past the server's `headersTimeout` or `requestTimeout` is a timeout (408, as node and nginx
    // answer it), not a malformed request.
    const thrown =
      cause.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? roleError('requestTimeout', { cause })
        : roleError('badRequest', {
            specific:
              cause.code === 'HPE_HEADER_OVERFLOW'
                ? 'The request header fields are too large.'
                : 'The request is malformed.',
            cause,
          });
    const { status, headers, body } = errors.handle(thrown, {});
    // A socket handed over by 'connect' or 'upgrade' has no 'error' listener of node's: a peer's reset
    // must not become an unhandled 'error' that ends the process.
    socket.on('error', () => socket.destroy());
    socket.end(clientErrorAnswer(status, headers, body));
    // No HTTP timeout watches such a socket either: a peer that never closes its side is let go.
    const timer = setTimeout(() => socket.destroy(), answeredGrace);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
  return (error, given) => {
    const socket = given as ServerSocket;
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const parseError = error.code?.startsWith('HPE_') === true;
    if (parseError && socket[framingFailed]) {
      // The parser repeats its error for every later byte. The answer to the failed request is pending
      // or lingering (which discards the bytes within its bounds); with neither, the connection is done.
      if (!socket._httpMessage && !isLingering(socket)) socket.destroy();
      return;
    }
    const req = parseError ? dispatchedRequest(socket) : undefined;
    if (req) {
      socket[framingFailed] = true;
      // Whatever answers, the connection closes after it: the parser cannot read a next request.
      const response = socket._httpMessage;
      const malformed = roleError('badRequest', {
        specific: 'The request body is malformed.',
        cause: error,
      });
      failBody(req, malformed);
      if (response?.req === req) {
        response.shouldKeepAlive = false;
        const timer = setTimeout(() => {
          if (!response.headersSent && !response.destroyed) sendError(errors, malformed, req, response);
        }, answerGrace);
        timer.unref();
        response.once('close', () => clearTimeout(timer));
      }
      return;
    }
    const inFlight = socket._httpMessage;
    if (!inFlight) {
      answer(socket, error);
      return;
    }
    // The head of a pipelined request is malformed while the answer to the one before is under way:
    // the 400 follows that answer, in order. Any other failure mid-answer leaves nothing to say.
    if (!parseError || inFlight.req?.complete !== true) {
      socket.destroy();
      return;
    }
    socket[framingFailed] = true;
    inFlight.once('finish', () => {
      if (socket.writable) answer(socket, error);
      else socket.destroy();
    });
  };
}
