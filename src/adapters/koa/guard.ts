import type { Middleware } from 'koa';
import { nodeContext } from '../../guards/node-context.js';
import { isDenial, runGuards } from '../../guards/run.js';
import type { Guard, GuardRequest } from '../../guards/types.js';
import { toBodyLimits } from '../../server/body.js';
import { parsedOrKeptBody } from '../kit/read-body.js';
import { toRequestView } from './request.js';

// Read when no `json()` ran before the guard: at most its default limit (1 MiB), which the route's
// reader then applies its own limit to.
const limits = toBodyLimits();

/**
 * Guards as one Koa middleware: a denial throws the catalog error (answered by `createKoaErrors`'s
 * middleware), admitted responses carry the guards' headers, replays are sent as stored. The idempotency
 * fingerprint reads `ctx.request.body`; mounted before `json()`, the guard reads a JSON body itself (at
 * most 1 MiB) and sets `ctx.request.body`. Mount it after the parser of any other type. The guards see a
 * router's `ctx.params` as `request.params`, and Koa's `ctx.ip` as the client.
 * @example
 * app.use(guard(rateLimit({ key: byIp, limit: 100, period: '1m' })));
 */
export function guard(...guards: Guard[]): Middleware {
  return async (ctx, next) => {
    const params = (ctx as { params?: unknown }).params;
    const view: GuardRequest = {
      ...toRequestView(ctx),
      params: typeof params === 'object' && params !== null ? (params as GuardRequest['params']) : undefined,
    };
    const context = nodeContext(view, ctx.res, () =>
      parsedOrKeptBody(ctx.req, view, ctx.request.body, limits, (value) => {
        ctx.request.body = value;
      }),
    );
    const outcome = runGuards(guards, context);
    const result = outcome instanceof Promise ? await outcome : outcome;
    if (result !== undefined) {
      // Thrown here, in the middleware's own frame, for the layer's middleware to answer.
      if (isDenial(result)) throw result;
      const { status, headers, body } = result.replay;
      ctx.status = status;
      // A stored header replaces what a middleware before the guard set on this request; only the stored
      // lines of one name (two Set-Cookie) are sent together.
      const replaced = new Set<string>();
      for (const [name, value] of headers) {
        if (replaced.has(name)) ctx.append(name, value);
        else ctx.set(name, value);
        replaced.add(name);
      }
      ctx.body = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      return;
    }
    context.apply((name, value) => ctx.set(name, value));
    try {
      await next();
    } catch (error) {
      if (!ctx.writable) context.unsent(undefined);
      throw error;
    }
    const res = ctx.res;
    // Koa writes nothing for a client that hung up: the answer it made still settles an idempotent request.
    if (!ctx.writable && !res.writableEnded) context.unsent(ctx.status, bytesOf(ctx.body));
    // A body stream that fails (or is cut) after this returned ends in a closed, unended response: no
    // answer was made, and the idempotency key is freed at once instead of locked until its lockTtl.
    else if (!res.writableEnded)
      res.once('close', () => {
        if (!res.writableEnded) context.unsent(undefined);
      });
  };
}

// The bytes Koa would have sent for a body: a buffer or text as it is, an object as JSON; a stream is not
// kept (undefined settles as a failure, freeing an idempotency key).
function bytesOf(body: unknown): Uint8Array | undefined {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (typeof (body as { pipe?: unknown }).pipe === 'function') return undefined;
  try {
    return new TextEncoder().encode(JSON.stringify(body));
  } catch {
    return undefined;
  }
}
