import type { FastifyReply, FastifyRequest } from 'fastify';
import { nodeContext } from '../../guards/node-context.js';
import { runGuards } from '../../guards/run.js';
import type { Guard, GuardRequest } from '../../guards/types.js';

function viewOf(request: FastifyRequest): GuardRequest {
  return { method: request.method, url: request.url, headers: request.headers, ip: request.ip };
}

/**
 * Guards as one Fastify hook, for `onRequest` or `preHandler` (use `preHandler` when it holds
 * `idempotency`: the fingerprint reads the parsed body). A denial throws the catalog error (answered by
 * `createFastifyErrors`), admitted replies carry the guards' headers, replays are sent as stored.
 * @example
 * app.post('/orders', { preHandler: guard(idempotency({ tenant: byApiKey })) }, createOrder);
 */
export function guard(
  ...guards: Guard[]
): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  return async (request, reply) => {
    const context = nodeContext(viewOf(request), reply.raw, () => request.body);
    const outcome = runGuards(guards, context);
    const replay = outcome instanceof Promise ? await outcome : outcome;
    if (replay) {
      const { status, headers, body } = replay.replay;
      reply.code(status);
      for (const [name, value] of headers) reply.header(name, value);
      return reply.send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    }
    context.apply((name, value) => reply.header(name, value));
    return undefined;
  };
}
