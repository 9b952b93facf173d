import type { Middleware } from 'koa';
import { nodeContext } from '../../guards/node-context.js';
import { isDenial, runGuards } from '../../guards/run.js';
import type { GuardRequest } from '../../guards/types.js';
import { type GuardArguments, guardArguments, guardLimits, parsedOrKeptBody } from '../kit/read-body.js';
import { toRequestView } from './request.js';

/**
 * Guards as one Koa middleware: a denial throws the catalog error (answered by `createKoaErrors`'s
 * middleware), admitted responses carry the guards' headers, replays are sent as stored. The idempotency
 * fingerprint reads `ctx.request.body`; mounted before `json()`, the guard reads a JSON body itself and
 * puts its bytes back for the parser after it, under `json()`'s defaults (1 MiB, 10 s for the next bytes) or the options given
 * first (`guard({ body: { readTimeout: 500 } }, ...guards)`: give the route's). Mount it after the parser
 * of any other type: with a key, a body of another type that no parser has read before it is refused 415,
 * never fingerprinted as no body. The guards see a router's `ctx.params` as `request.params`, and Koa's `ctx.ip` as the client.
 * @example
 * app.use(guard(rateLimit({ key: byIp, limit: 100, period: '1m' })));
 */
export function guard(...args: GuardArguments): Middleware {
  const { guards, options } = guardArguments(args);
  const limits = guardLimits(options);
  return async (ctx, next) => {
    const params = (ctx as { params?: unknown }).params;
    const view: GuardRequest = {
      ...toRequestView(ctx),
      params: typeof params === 'object' && params !== null ? (params as GuardRequest['params']) : undefined,
    };
    // A body read here is put back unread and `ctx.request.body` left unset: a parser after the guard
    // (`json()`, `@koa/bodyparser`) reads it under its own limits, as it would with no guard before it.
    const context = nodeContext(
      view,
      ctx.res,
      () =>
        parsedOrKeptBody(ctx.req, view, ctx.request.body, limits, (value) => {
          ctx.request.body = value;
        }),
      true,
    );
    let result: Awaited<ReturnType<typeof runGuards>>;
    try {
      const outcome = runGuards(guards, context);
      result = outcome instanceof Promise ? await outcome : outcome;
    } catch (thrown) {
      context.handlerEnded();
      throw thrown;
    }
    if (result !== undefined) {
      context.handlerEnded();
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
    context.apply(
      (name, value) => ctx.set(name, value),
      (name) => ctx.response.get(name),
    );
    try {
      await next();
    } catch (error) {
      if (!ctx.writable) context.unsent(undefined);
      throw error;
    } finally {
      context.handlerEnded();
    }
    const res = ctx.res;
    // Koa writes nothing for a client that hung up: the answer it made still settles an idempotent request.
    if (!ctx.writable && !res.writableEnded) {
      // A stream it would have sent is not known whole: that settles as a failure, freeing the key.
      const bytes = bytesOf(ctx.body);
      context.unsent(bytes === undefined ? undefined : ctx.status, bytes);
    } else if (!res.writableEnded && ctx.respond !== false && ctx.body !== undefined && ctx.body !== null) {
      // Kept as it passed the guard: a middleware before the guard (koa-compress) codes it again for each
      // retry. Koa writes a body of its own for none (`Not Found`), which the socket's copy holds.
      const made = bytesOf(ctx.body);
      if (made !== undefined) context.made(ctx.status, ctx.response.headers, made);
    }
    // A body stream that fails (or is cut) after this returned ends in a closed, unended response: no
    // answer was made, and the idempotency key is freed at once instead of locked until its lockTtl.
    if (ctx.writable && !res.writableEnded)
      res.once('close', () => {
        if (!res.writableEnded) context.unsent(undefined);
      });
  };
}

// The bytes Koa sends for a body, as its `respond` makes them: a Buffer or text as it is, anything else but
// a stream as JSON; undefined for a stream (node's, a Web one, a Blob, a Response).
function bytesOf(body: unknown): Uint8Array | undefined {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Blob || body instanceof ReadableStream || body instanceof Response) return undefined;
  if (typeof (body as { pipe?: unknown }).pipe === 'function') return undefined;
  try {
    return new TextEncoder().encode(JSON.stringify(body));
  } catch {
    return undefined;
  }
}
