import { isIP } from 'node:net';
import type { Context } from 'koa';
import type { RequestView, WritableView } from '../../server/request.js';

import { RawHeaders, requestLogOf } from '../kit/node-request.js';

/** What `onError` gets as `event.raw` on Koa. */
export interface KoaRaw {
  readonly ctx: Context;
}

// Koa's `ctx.ip`: the socket's peer, or the first `X-Forwarded-For` entry only when the app says it sits
// behind a proxy (`app.proxy`, bounded by `app.maxIpsCount`). Koa's rule, never a weaker one: an entry that
// is no address (Koa takes any text) is the peer's, so that a client cannot open a bucket per made-up name.
function ipOf(ctx: Context): string | undefined {
  let ip: string | undefined;
  try {
    ip = ctx.ip;
  } catch {
    // Koa's getter reads the socket, which may be gone.
  }
  if (ip !== undefined && isIP(ip) !== 0) return ip;
  const peer = ctx.req.socket?.remoteAddress;
  return peer === undefined || peer === '' ? undefined : peer;
}

// A request id left by a middleware before (koa-requestid and others keep it in `ctx.state`).
function requestIdOf(ctx: Context): unknown {
  const state = ctx.state as { requestId?: unknown; id?: unknown } | undefined;
  return state?.requestId ?? state?.id;
}

/** The request view of a Koa context: node's raw headers, Koa's `ctx.ip` and `ctx.originalUrl`. */
export function toRequestView(ctx: Context): RequestView {
  return {
    method: ctx.method,
    url: ctx.originalUrl,
    headers: new RawHeaders(ctx.req.rawHeaders),
    ip: ipOf(ctx),
    requestId: requestIdOf(ctx),
  };
}

/** The view of a request being answered: with pino-http's `req.log`, and `{ ctx }` for `onError`. */
export function toAnswerView(ctx: Context): RequestView {
  // Fields set on the fresh view, not spread into another object: this runs for every error answer.
  const view: WritableView = toRequestView(ctx);
  view.log = requestLogOf(ctx.req);
  view.raw = { ctx } satisfies KoaRaw;
  return view;
}
