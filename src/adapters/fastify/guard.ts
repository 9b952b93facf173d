import type { FastifyReply, FastifyRequest } from 'fastify';
import { nodeContext } from '../../guards/node-context.js';
import { isDenial, runGuards } from '../../guards/run.js';
import type { Guard, GuardRequest } from '../../guards/types.js';
import { toRequestView } from './request.js';

/**
 * Guards as one Fastify hook, for `onRequest` or `preHandler` (use `preHandler` when it holds
 * `idempotency`: the fingerprint reads the parsed body). A denial throws the catalog error (answered by
 * `createFastifyErrors`), admitted replies carry the guards' headers, replays are sent as stored. The
 * guards see the route's parameters (`request.params`) as `request.params`.
 * @example
 * app.post('/orders', { preHandler: guard(idempotency({ tenant: byApiKey })) }, createOrder);
 */
export function guard(
  ...guards: Guard[]
): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  return async (request, reply) => {
    const params = request.params as GuardRequest['params'];
    const view: GuardRequest = { ...toRequestView(request), params };
    const context = nodeContext(view, reply.raw, () => request.body);
    const outcome = runGuards(guards, context);
    const result = outcome instanceof Promise ? await outcome : outcome;
    if (result !== undefined) {
      // Thrown here, in the hook's own frame, for the layer's error handler to answer.
      if (isDenial(result)) throw result;
      const { status, headers, body } = result.replay;
      reply.code(status);
      for (const [name, value] of headers) reply.header(name, value);
      return reply.send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    }
    context.apply((name, value) => reply.header(name, value));
    return undefined;
  };
}
