import type { FastifyReply, FastifyRequest } from 'fastify';
import { FaultlineConfigError } from '../../catalog/config-error.js';
import { nodeContext } from '../../guards/node-context.js';
import { isDenial, runGuards } from '../../guards/run.js';
import type { Denial, Guard, GuardRequest, Replay } from '../../guards/types.js';
import { announcesBody } from '../../server/body.js';
import { keepingMade, keepsAnswers, markKeeping } from './made.js';
import { toRequestView } from './request.js';

/** A Fastify hook in callback style: `done()` goes on, `done(error)` answers the error. */
export type FastifyGuardHook = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: (error?: Error) => void,
) => void;

/**
 * Applies what the guards decided: their headers on an admitted reply, or the replay sent as stored.
 * Returns the denial to pass to `done`, `undefined` to go on, or `null` when the reply is sent.
 */
function conclude(
  result: Replay | Denial | undefined,
  reply: FastifyReply,
  context: ReturnType<typeof nodeContext>,
): Denial | undefined | null {
  if (result === undefined) {
    context.apply(
      (name, value) => reply.header(name, value),
      (name) => reply.getHeader(name),
    );
    return undefined;
  }
  if (isDenial(result)) return result;
  const { status, headers, body } = result.replay;
  reply.code(status);
  // Fastify's `header` keeps the last value of a name (but Set-Cookie's): the stored lines of one name go
  // as one list, and replace what a hook before the guard set (the first answer holds it already).
  const lines = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const seen = lines.get(key);
    if (seen === undefined) lines.set(key, [value]);
    else seen.push(value);
  }
  for (const [name, values] of lines) {
    reply.removeHeader(name);
    reply.header(name, values.length === 1 ? values[0] : values);
  }
  reply.send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  return null;
}

/**
 * The parsed body for the idempotency fingerprint. In an `onRequest` hook no parser has run: a request
 * that announces a body is then a configuration error, never the fingerprint of no body (which would
 * replay one request's answer to another with the same key and a different body). Reading the stream
 * here would leave Fastify's own parsers waiting for a body already consumed.
 */
function parsedBody(view: GuardRequest, body: unknown): unknown {
  // Fastify parses no body of a GET or a HEAD, in any hook: such a body is no part of the request there.
  if (body === undefined && view.method !== 'GET' && view.method !== 'HEAD' && announcesBody(view)) {
    throw new FaultlineConfigError(
      'FAULTLINE_BODY_NOT_PARSED',
      'an idempotency guard ran as a Fastify onRequest hook, before the body parser',
    );
  }
  return body;
}

/**
 * Guards as one Fastify hook, for `onRequest` or `preHandler` (use `preHandler` when it holds
 * `idempotency`: the fingerprint reads the parsed body). A denial goes to the hook's `done(error)`
 * (answered by `createFastifyErrors`), admitted replies carry the guards' headers, replays are sent as
 * stored. On a route registered after the plugin with this hook in its own options, a kept answer is the
 * route's payload as it enters `onSend`, before `@fastify/compress` codes it, in either order of the two: the
 * replay is coded again for the retry's own `Accept-Encoding`. The guards see the route's parameters (`request.params`) as `request.params`. The
 * hook is in callback style: a denial is handed over without a thrown error or a rejected promise, each of
 * which costs V8 more than the rest of the decision.
 * @example
 * app.post('/orders', { preHandler: guard(idempotency({ tenant: byApiKey })) }, createOrder);
 */
export function guard(...guards: Guard[]): FastifyGuardHook {
  const keeps = keepsAnswers(guards);
  const hook: FastifyGuardHook = (request, reply, done) => {
    const params = request.params as GuardRequest['params'];
    const view: GuardRequest = { ...toRequestView(request), params };
    const made = nodeContext(view, reply.raw, () => parsedBody(view, request.body));
    const context = keeps ? keepingMade(reply, made) : made;
    const settle = (result: Replay | Denial | undefined) => {
      let next: Denial | undefined | null;
      try {
        next = conclude(result, reply, context);
      } catch (error) {
        next = error as Denial;
      }
      // `done` runs the rest of the request: called once, outside the try, so that nothing it throws is
      // taken for the guards' own failure.
      if (next !== null) done(next as Error | undefined);
    };
    let outcome: ReturnType<typeof runGuards>;
    try {
      outcome = runGuards(guards, context);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (outcome instanceof Promise) outcome.then(settle, (error: unknown) => done(error as Error));
    else settle(outcome);
  };
  return keeps ? markKeeping(hook) : hook;
}
