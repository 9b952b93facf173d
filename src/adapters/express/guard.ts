import type { Request, RequestHandler, Response } from 'express';
import { nodeContext, sendReplay } from '../../guards/node-context.js';
import { isDenial, runGuards } from '../../guards/run.js';
import type { GuardRequest } from '../../guards/types.js';
import { type GuardArguments, guardArguments, guardLimits, parsedOrKeptBody } from '../kit/read-body.js';
import { toRequestView } from './request.js';

/**
 * The route's parameters as the guards see them: Express 5 gives a wildcard (`/*path`) as an array of
 * segments, which the guards read joined with `/`, as the path they came from.
 */
function paramsOf(req: Request): GuardRequest['params'] {
  const params = req.params as Record<string, unknown> | undefined;
  if (params === undefined || params === null) return undefined;
  let flat: Record<string, string | undefined> | undefined;
  for (const name in params) {
    const value = params[name];
    if (typeof value === 'string') continue;
    flat ??= { ...(params as Record<string, string>) };
    flat[name] = Array.isArray(value) ? value.join('/') : undefined;
  }
  return flat ?? (params as Record<string, string>);
}

/**
 * Guards as one Express middleware: a denial goes to `next(error)` (the faultline error middleware
 * answers it), admitted responses carry the guards' headers, replays are sent as stored. The idempotency
 * fingerprint reads `req.body`; mounted before the body parser, the guard reads a JSON body itself, sets
 * `req.body` and puts the bytes back unread: `errors.json()` and `express.json()` then read them under
 * their own limit, `verify` and `strict`, as with no guard before them. It reads under `json()`'s
 * defaults (1 MiB, 10 s for the next bytes) or the options given first (`guard({ body: { readTimeout: 500 } },
 * ...guards)`: give the route's). Mount it after the parser of any other type: with a key, a body of another
 * type that no parser has read before it is refused 415, never fingerprinted as no body. As route middleware
 * (`app.get('/items/:id', guard(...), handler)`) the guards see `req.params` as `request.params`;
 * mounted with `app.use`, no route has matched yet and they see none.
 * @example
 * app.post('/orders', errors.json(), guard(rateLimit({ key: byIp, limit: 10, period: '1m' })), createOrder);
 */
export function guard(...args: GuardArguments): RequestHandler {
  const { guards, options } = guardArguments(args);
  const limits = guardLimits(options);
  return (req: Request, res: Response, next) => {
    const view: GuardRequest = { ...toRequestView(req), params: paramsOf(req) };
    const context = nodeContext(view, res, () =>
      parsedOrKeptBody(req, view, req.body, limits, (value) => {
        req.body = value;
      }),
    );
    const proceed = (result: Awaited<ReturnType<typeof runGuards>>) => {
      if (result === undefined) {
        context.apply();
        next();
      } else if (isDenial(result)) next(result);
      else sendReplay(res, result.replay);
    };
    try {
      const outcome = runGuards(guards, context);
      if (outcome instanceof Promise) outcome.then(proceed, next);
      else proceed(outcome);
    } catch (error) {
      next(error);
    }
  };
}
