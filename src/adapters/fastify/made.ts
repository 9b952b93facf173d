import type { FastifyReply, onRouteHookHandler, onSendHookHandler } from 'fastify';
import type { NodeGuardContext } from '../../guards/node-context.js';
import type { Guard } from '../../guards/types.js';

// The guard contexts whose answer is kept (an idempotency guard's), by reply: gone with the reply.
const keeping = new WeakMap<FastifyReply, NodeGuardContext>();
// Marks the hooks of `guard()` that hold a guard keeping answers; `Symbol.for` so two installed copies agree.
const keepsKey = Symbol.for('faultline.fastifyKeepsAnswers');
const phases = ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const;

/** Whether one of `guards` keeps answers to replay them (an idempotency guard). */
export function keepsAnswers(guards: readonly Guard[]): boolean {
  return guards.some((g) => g.kind === 'idempotency');
}

/** Marks `hook` as one whose guards keep answers, for `keepOnRoute`. */
export function markKeeping<H extends object>(hook: H): H {
  return Object.defineProperty(hook, keepsKey, { value: true });
}

/**
 * `context`, whose `capture` has the route's `onSend` hook keep the answer of `reply` as the route made it.
 * Only a guard that keeps the answer pays for the copy of its payload.
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
 * The `onSend` hook of a route that keeps answers: the payload as it passes, serialized, with the headers it
 * has at that moment. Payload and headers are read together: one that a shared hook coded before this is
 * kept coded, under its `Content-Encoding`. A stream is not known whole here: the bytes written to the
 * socket are kept, with the head they went with.
 */
const keepMade: onSendHookHandler = (_request, reply, payload, done) => {
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

/**
 * The plugin's `onRoute` hook: a route whose own hooks hold a guard that keeps answers gets `keepMade` first
 * among its `onSend` hooks, where `@fastify/compress` adds its own (after it, whichever plugin came first):
 * the replay is coded again for the retry's `Accept-Encoding`. Routes without such a guard pay nothing on
 * their answers; a guard added with `addHook` keeps the answer as the socket took it.
 */
export const keepOnRoute: onRouteHookHandler = (route) => {
  const keeps = phases.some((phase) => {
    const hooks = route[phase] as unknown;
    const list = Array.isArray(hooks) ? hooks : hooks === undefined ? [] : [hooks];
    return list.some((hook) => typeof hook === 'function' && keepsKey in hook);
  });
  if (!keeps) return;
  const own = route.onSend;
  route.onSend = [keepMade, ...(Array.isArray(own) ? own : own === undefined ? [] : [own])];
};
