import type { Context, MiddlewareHandler } from 'hono';
import { isApiError } from '../../catalog/api-error.js';
import { RoleError } from '../../catalog/role-error.js';
import { hasNoContent } from '../../catalog/status.js';
import { listValued } from '../../guards/list-fields.js';
import { isDenial, runGuards } from '../../guards/run.js';
import type { CapturedResponse, GuardContext, GuardRequest } from '../../guards/types.js';
import { type BodyLimits, concatBytes, toBodyLimits } from '../../server/body.js';
import { type GuardArguments, guardArguments, guardLimits, valueOfRead } from '../kit/read-body.js';
import { clientIpResolver } from './client-ip.js';
import { fingerprintBody } from './read-body.js';
import { type HonoSettings, settingsOf, toRequestView } from './request.js';
import { streamFailed, whenSent } from './sent.js';

// Without `createHonoErrors`'s middleware before it: the runtime's peer address, no proxy trusted, and
// the default body limits.
const fallback: HonoSettings = { clientIp: clientIpResolver(undefined, undefined), limits: toBodyLimits() };

// RateLimit and RateLimit-Policy are lists (RFC 9651): an outer guard adds its policies to an inner guard's
// instead of replacing them.
function writeFields(res: Response, fields: ReadonlyMap<string, string>): void {
  for (const [name, value] of fields) {
    if (listValued.has(name) && res.headers.has(name)) res.headers.append(name, value);
    else res.headers.set(name, value);
  }
}

/**
 * Writes the guards' fields on the route's response. One the route passed on as it came (an upstream's
 * `fetch()`) has immutable headers, which refuse the first write: it is copied, then written.
 */
function writeGuardFields(c: Context, fields: ReadonlyMap<string, string>): void {
  if (fields.size === 0) return;
  try {
    writeFields(c.res, fields);
  } catch {
    c.res = new Response(c.res.body, c.res);
    writeFields(c.res, fields);
  }
}

/**
 * The response as sent, read from a clone a chunk at a time: past `maxBytes` the clone is let go (a large
 * or endless stream is never held whole), and the response itself is sent meanwhile. When the client
 * leaves (`signal`), the clone is let go too: a tee's source is cancelled only once both copies are, and
 * an endless stream (SSE) would otherwise run for a client long gone. An answer made whole after its
 * client left (a JSON body) is still kept: the operation ran, and its retry is replayed, as on node.
 */
async function captureOf(
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
): Promise<CapturedResponse | undefined> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) return undefined;
  const headers: [string, string][] = [];
  response.headers.forEach((value, name) => {
    headers.push([name, value]);
  });
  const reader = response.clone().body?.getReader();
  let left = false;
  const leave = () => {
    left = true;
    reader?.cancel().catch(() => {});
  };
  // A client gone before the copy starts: a body already whole is read within microtasks, before a timer
  // fires; a stream still running is let go then.
  const late = signal.aborted ? setTimeout(leave, 0) : undefined;
  if (late === undefined) signal.addEventListener('abort', leave, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const read = reader ? await reader.read() : { done: true as const };
      if (read.done) break;
      size += read.value.byteLength;
      if (size > maxBytes) {
        leave();
        return undefined;
      }
      chunks.push(read.value);
    }
  } finally {
    signal.removeEventListener('abort', leave);
    clearTimeout(late);
  }
  // Cancelled when its client left: what was read is not the whole answer.
  if (left) return undefined;
  return { status: response.status, headers, body: concatBytes(chunks, size) };
}

/** The request view of the guards: the adapter's, with the route's parameters read on first use. */
function guardView(c: Context, settings: HonoSettings): GuardRequest {
  let params: Record<string, string> | undefined;
  return {
    ...toRequestView(c, settings.clientIp),
    get params() {
      params ??= c.req.param() as Record<string, string>;
      return params;
    },
  };
}

/**
 * Guards as one Hono middleware: a denial throws the catalog error (answered by `createHonoErrors`'s
 * `onError`), admitted responses carry the guards' headers, replays are sent as stored. The guards see
 * the client address and body limits of the `createHonoErrors` layer installed before the route (its
 * `ip` and `trustProxy`); the idempotency fingerprint reads the body under the layer's body limits, or
 * the options given first (`guard({ body: { readTimeout: 500 } }, ...guards)`: give the route's), and the
 * route's own reader (`json()`) applies its limit to those bytes again. As route middleware
 * (`app.post('/items/:id', guard(...), handler)`) the guards see `c.req.param()` as `request.params`.
 * @example
 * app.post('/orders', guard(rateLimit({ key: byIp, limit: 10, period: '1m' })), createOrder);
 */
export function guard(...args: GuardArguments): MiddlewareHandler {
  const { guards, options } = guardArguments(args);
  // Options given: over the layer's limits, known only per request (one layer in practice: the last kept).
  let layer: [BodyLimits, BodyLimits] | undefined;
  const limitsOver = (base: BodyLimits) => {
    if (options.body === undefined) return base;
    if (layer?.[0] !== base) layer = [base, guardLimits(options, base)];
    return layer[1];
  };
  return async (c, next) => {
    const finish: ((status: number | undefined) => void)[] = [];
    const captures: [(response: CapturedResponse | undefined) => void, number][] = [];
    const settings = settingsOf(c) ?? fallback;
    const limits = limitsOver(settings.limits);
    const request = guardView(c, settings);
    // The handler's end is known here, after `next()`: a lease waits for it. Its client gone (the request's
    // signal, aborted by the runtime on a hang-up), the lease stops renewing.
    const ends: (() => void)[] = [];
    const lefts: (() => void)[] = [];
    const context: GuardContext = {
      request,
      headers: new Map(),
      onFinish: (listener) => finish.push(listener),
      watchHandler(ended, left) {
        ends.push(ended);
        lefts.push(left);
        const signal = c.req.raw.signal;
        if (signal.aborted) left();
        else signal.addEventListener('abort', left, { once: true });
      },
      body: () =>
        fingerprintBody(c, limits).then((read) =>
          valueOfRead(read as Uint8Array | string | undefined, request.headers, limits.maxDepth),
        ),
      capture: (listener, maxBytes) => captures.push([listener, maxBytes]),
    };
    let status: number | undefined;
    let admitted = false;
    try {
      const outcome = runGuards(guards, context);
      const result = outcome instanceof Promise ? await outcome : outcome;
      if (result !== undefined) {
        // Thrown here, in the middleware's own frame, for the layer's onError to answer.
        if (isDenial(result)) throw result;
        const { status: code, headers, body } = result.replay;
        status = code;
        const out = new Headers();
        for (const [name, value] of headers) out.append(name, value);
        // A 204, 205 or 304 has no body: a Web runtime refuses a Response that gives one, even empty.
        const content = hasNoContent(code) ? null : (body as Uint8Array<ArrayBuffer>);
        return new Response(content, { status: code, headers: out });
      }
      await next();
      admitted = true;
      writeGuardFields(c, context.headers);
      status = c.res.status;
      // Not awaited: a streamed answer (SSE, a download) reaches its client while the copy is read.
      for (const [listener, maxBytes] of captures)
        captureOf(c.res, maxBytes, c.req.raw.signal)
          .then(
            (captured) => listener(streamFailed(c) ? undefined : captured),
            () => listener(undefined),
          )
          .catch(() => {});
      captures.length = 0;
    } catch (error) {
      // A denial (of a later guard, after one that spent) is answered by the layer's onError: its status
      // is the response's, so that the guards that spend only on success give back. A role descriptor has
      // no status until the catalog answers it; every role is an error, so any 4xx tells a failure.
      status = isApiError(error) ? error.status : error instanceof RoleError ? 400 : 500;
      throw error;
    } finally {
      for (const [listener] of captures) listener(undefined);
      for (const left of lefts) c.req.raw.signal.removeEventListener('abort', left);
      // A lease is held while the answer streams (SSE, a download), not only while the handler runs. A
      // relayed body may be dropped unread: the lease then stops renewing, and lapses after its ttl.
      if (!admitted || ends.length === 0) over(ends, finish, status);
      else if (whenSent(c, () => over(ends, finish, status))) for (const left of lefts) left();
    }
    return undefined;
  };
}

/** Tells the handler's watchers it has ended, then the finish listeners the response's status. */
function over(
  ends: readonly (() => void)[],
  finish: readonly ((status: number | undefined) => void)[],
  status: number | undefined,
): void {
  for (const ended of ends) ended();
  for (const listener of finish) {
    try {
      listener(status);
    } catch {
      // A listener's failure must not change the response.
    }
  }
}
