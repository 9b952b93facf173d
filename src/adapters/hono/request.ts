import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { BodyLimits } from '../../server/body.js';
import { type RequestView, targetOf, type WritableView } from '../../server/request.js';

import { RawHeaders } from '../kit/node-request.js';

/** The node request under `@hono/node-server` (its `c.env.incoming`), when the app runs there. */
export function incomingOf(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming && typeof incoming.on === 'function' && incoming.socket ? incoming : undefined;
}

/** What the error layer tells the guards of a request: how to find the client, and the body limits. */
export interface HonoSettings {
  /** The client address, after the trust-proxy rules. */
  readonly clientIp: (c: Context) => string | undefined;
  /** The adapter's body limits: the most any read of faultline's takes before a route's own. */
  readonly limits: BodyLimits;
}

// Kept on the context, so that `guard()`, a plain export, sees the options of the layer that serves the
// request; `Symbol.for` so that two installed copies of faultline agree.
const settingsKey = Symbol.for('faultline.honoSettings');

/** Leaves the layer's settings on a request's context (the layer's middleware does, first). */
export function keepSettings(c: Context, settings: HonoSettings): void {
  (c as unknown as Record<symbol, HonoSettings>)[settingsKey] = settings;
}

/** The settings the layer left on this request's context, if its middleware ran. */
export function settingsOf(c: Context): HonoSettings | undefined {
  return (c as unknown as Record<symbol, HonoSettings | undefined>)[settingsKey];
}

/** What `onError` gets as `event.raw` on Hono. */
export interface HonoRaw {
  readonly context: Context;
}

// Hono's `requestId` middleware keeps its id in the context's variables; `c.get` of an unset key is
// `undefined`.
function requestIdOf(c: Context): unknown {
  try {
    return (c as unknown as { get(key: string): unknown }).get('requestId');
  } catch {
    return undefined;
  }
}

/** The view of a request being answered: with the context for `onError`. */
export function toAnswerView(c: Context, clientIp: (c: Context) => string | undefined): RequestView {
  // A field set on the fresh view, not spread into another object: this runs for every error answer.
  const view: WritableView = toRequestView(c, clientIp);
  view.raw = { context: c } satisfies HonoRaw;
  return view;
}

/**
 * The request view of a Hono context: method, URL, headers, the client address from `clientIp`, and the
 * id of Hono's `requestId` middleware.
 * Under `@hono/node-server` the headers are read from node's raw headers: the Web `Headers` of
 * `c.req.raw` are built on first access, from all of them.
 */
export function toRequestView(c: Context, clientIp: (c: Context) => string | undefined): RequestView {
  const incoming = incomingOf(c);
  return {
    method: c.req.method,
    url: honoTarget(c),
    headers: incoming ? new RawHeaders(incoming.rawHeaders) : c.req.raw.headers,
    ip: clientIp(c),
    requestId: requestIdOf(c),
  };
}

/**
 * The request target, as on every adapter: node's own as sent (a `URL` has already resolved an escaped
 * `..`), else the target of the absolute URL a Web request holds.
 */
export function honoTarget(c: Context): string {
  return incomingOf(c)?.url ?? targetOf(c.req.url) ?? c.req.url;
}
