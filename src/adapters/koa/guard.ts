import type { Middleware } from 'koa';
import { nodeContext } from '../../guards/node-context.js';
import { runGuards } from '../../guards/run.js';
import type { Guard, GuardRequest } from '../../guards/types.js';
import { toRequestView } from './request.js';

/**
 * Guards as one Koa middleware: a denial throws the catalog error (answered by `createKoaErrors`'s
 * middleware), admitted responses carry the guards' headers, replays are sent as stored. Mount it after
 * `json()` when it holds `idempotency` (the fingerprint reads `ctx.request.body`). The guards see a
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
    const context = nodeContext(view, ctx.res, () => (ctx.request as { body?: unknown }).body);
    const outcome = runGuards(guards, context);
    const replay = outcome instanceof Promise ? await outcome : outcome;
    if (replay) {
      const { status, headers, body } = replay.replay;
      ctx.status = status;
      for (const [name, value] of headers) ctx.append(name, value);
      ctx.body = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      return;
    }
    context.apply((name, value) => ctx.set(name, value));
    await next();
  };
}
