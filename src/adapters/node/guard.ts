import type { IncomingMessage, ServerResponse } from 'node:http';
import { nodeContext, sendReplay } from '../../guards/node-context.js';
import { isDenial, runGuards } from '../../guards/run.js';
import { runHandler } from '../../guards/run-handler.js';
import type { GuardRequest } from '../../guards/types.js';
import { toRequestView } from '../kit/node-request.js';
import {
  type GuardArguments,
  guardArguments,
  guardLimits,
  readAndKeepBody,
  valueOfRead,
} from '../kit/read-body.js';
import { routeParamsOf } from './router.js';

/**
 * Wraps a node:http handler in guards: a denial rejects with the catalog error (answered by
 * `createNodeErrors`), admitted responses carry the guards' headers, replays are sent as stored.
 * `byIp` keys on the client that the layer's `trustProxy` names, when the layer's wrapper runs first
 * (as below), else on the socket's address.
 * The idempotency fingerprint reads the body before the route says its limits: under `readJson`'s defaults
 * (1 MiB, 10 s for the next bytes; a declared length over the limit is refused at once), or the options
 * given first (`guard({ body: { limit: '64kb', readTimeout: 500 } }, ...guards)`: give the route's). The
 * route's `readJson` applies its own limit to those bytes again.
 * Wrapping a route handler of `createRouter`, the guards see the route's parameters (`request.params`);
 * wrapping the whole router, they run before routing and see none.
 * @example
 * const limited = guard(rateLimit({ key: byIp, limit: 100, period: '1m' }));
 * http.createServer(errors(limited(router.handle)));
 * const join = cooldown({ key: (r) => `${appOf(r)}:${r.params?.id}`, group: 'join', interval: '5s' });
 * router.post('/rooms/:id/join', guard(join)(joinRoom));
 */
export function guard(
  ...args: GuardArguments
): <Rest extends unknown[]>(
  handler: (req: IncomingMessage, res: ServerResponse, ...rest: Rest) => unknown,
) => (req: IncomingMessage, res: ServerResponse, ...rest: Rest) => unknown {
  const { guards, options } = guardArguments(args);
  const limits = guardLimits(options);
  return (handler) =>
    (req, res, ...rest) => {
      const params = routeParamsOf(req);
      const view: GuardRequest = params ? { ...toRequestView(req), params } : toRequestView(req);
      const context = nodeContext(
        view,
        res,
        () => readAndKeepBody(req, limits).then((bytes) => valueOfRead(bytes, view.headers, limits.maxDepth)),
        true,
      );
      const proceed = (result: Awaited<ReturnType<typeof runGuards>>) => {
        if (result === undefined) {
          context.apply();
          return runHandler(context, () => handler(req, res, ...rest));
        }
        context.handlerEnded();
        // A rejection reaches the wrapper of `createNodeErrors` without unwinding a throw through the router.
        if (isDenial(result)) return Promise.reject(result);
        return sendReplay(res, result.replay);
      };
      // A guard's throw or rejection runs no handler either: a lease taken by an earlier guard goes back.
      const unrun = (thrown: unknown) => {
        context.handlerEnded();
        throw thrown;
      };
      let outcome: ReturnType<typeof runGuards>;
      try {
        outcome = runGuards(guards, context);
      } catch (thrown) {
        return unrun(thrown);
      }
      return outcome instanceof Promise ? outcome.then(proceed, unrun) : proceed(outcome);
    };
}
