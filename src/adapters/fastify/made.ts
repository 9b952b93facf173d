import type { FastifyReply, onSendHookHandler } from 'fastify';
import type { NodeGuardContext } from '../../guards/node-context.js';

// The guard contexts whose answer is kept (an idempotency guard's), by reply: gone with the reply.
const keeping = new WeakMap<FastifyReply, NodeGuardContext>();

/**
 * `context`, whose `capture` has the plugin's `onSend` hook keep the answer of `reply` as the route made
 * it. Only a guard that keeps the answer pays for the copy of its payload.
 */
export function keepingMade(reply: FastifyReply, context: NodeGuardContext): NodeGuardContext {
  const capture = context.capture;
  context.capture = (listener, maxBytes) => {
    keeping.set(reply, context);
    capture(listener, maxBytes);
  };
  return context;
}

/**
 * The plugin's `onSend` hook: the payload of a kept answer as it passes the guard, serialized, with the
 * headers it has at that moment. `@fastify/compress` codes in an `onSend` hook of each route, which Fastify
 * runs after the shared ones whichever plugin came first; the replay goes through the same hooks, coded for
 * the retry's own `Accept-Encoding`. Payload and headers are read together: one that a shared hook before
 * this coded is kept coded, under its `Content-Encoding`. A stream is not known whole here: the bytes written
 * to the socket are kept, with the head they went with.
 */
export const keepMade: onSendHookHandler = (_request, reply, payload, done) => {
  const context = keeping.get(reply);
  if (context !== undefined) {
    const body =
      typeof payload === 'string'
        ? Buffer.from(payload)
        : payload instanceof Uint8Array
          ? payload
          : undefined;
    // Each send replaces the last (an error's answer after a later hook failed); only the one of the status
    // sent is kept, else the socket's copy.
    if (body !== undefined) context.made(reply.statusCode, reply.getHeaders(), body);
  }
  done(null, payload);
};
