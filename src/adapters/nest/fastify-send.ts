import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorHandler } from '../../server/handle-error.js';
import { toAnswerView } from '../fastify/request.js';
import { translate } from '../fastify/translate.js';
import type { LingerBounds } from '../kit/linger.js';
import { closeAfter, keptOnError } from '../kit/sink.js';

/**
 * Whether the Fastify plugin's `frameworkErrors` can take `thrown`: it reads `code` first, as Fastify
 * only ever hands it errors, and a value thrown in Nest can be `null`, `undefined` or a revoked Proxy.
 */
export function takesCode(thrown: unknown): boolean {
  if (thrown === null || thrown === undefined) return false;
  try {
    void (thrown as { code?: unknown }).code;
    return true;
  } catch {
    return false;
  }
}

/**
 * Answers on a Fastify reply what `frameworkErrors` cannot take, as it answers the rest: the catalog's
 * answer of the thrown value itself (its `onError` sees it untouched), the headers set before the error
 * dropped but the kept ones, and a lingering close for a body left unread.
 */
export function sendOnFastify(
  errors: ErrorHandler,
  bounds: LingerBounds,
  thrown: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const view = toAnswerView(request, reply);
  const { status, headers, body } = errors.handle(translate(thrown), view);
  closeAfter(request.raw, view, headers, bounds);
  const sendDate = reply.raw.sendDate;
  for (const name in reply.getHeaders()) if (!keptOnError(name)) reply.removeHeader(name);
  reply.raw.sendDate = sendDate;
  reply.raw.statusMessage = '';
  reply.code(status).headers(headers).send(Buffer.from(body));
}
