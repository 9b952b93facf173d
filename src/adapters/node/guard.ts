import type { IncomingMessage, ServerResponse } from 'node:http';
import { nodeContext, sendReplay } from '../../guards/node-context.js';
import { isDenial, runGuards } from '../../guards/run.js';
import type { Guard, GuardRequest } from '../../guards/types.js';
import { toBodyLimits } from '../../server/body.js';
import { toRequestView } from '../kit/node-request.js';
import { readAndKeepBody } from '../kit/read-body.js';
import { routeParamsOf } from './router.js';

// The fingerprint is read before the route says its limit: at most the default of `readJson` (1 MiB),
// and `readJson` applies the route's own limit to the kept bytes (413 whichever read first).
const limits = toBodyLimits();

/**
 * Wraps a node:http handler in guards: a denial rejects with the catalog error (answered by
 * `createNodeErrors`), admitted responses carry the guards' headers, replays are sent as stored.
 * `byIp` keys on the client that the layer's `trustProxy` names, when the layer's wrapper runs first
 * (as below), else on the socket's address.
 * The idempotency fingerprint reads at most 1 MiB of the body (a declared length over it is refused at
 * once); the route's `readJson` applies its own limit to those bytes again.
 * Wrapping a route handler of `createRouter`, the guards see the route's parameters (`request.params`);
 * wrapping the whole router, they run before routing and see none.
 * @example
 * const limited = guard(rateLimit({ key: byIp, limit: 100, period: '1m' }));
 * http.createServer(errors(limited(router.handle)));
 * const join = cooldown({ key: (r) => `${appOf(r)}:${r.params?.id}`, group: 'join', interval: '5s' });
 * router.post('/rooms/:id/join', guard(join)(joinRoom));
 */
export function guard(
  ...guards: Guard[]
): <Rest extends unknown[]>(
  handler: (req: IncomingMessage, res: ServerResponse, ...rest: Rest) => unknown,
) => (req: IncomingMessage, res: ServerResponse, ...rest: Rest) => unknown {
  return (handler) =>
    (req, res, ...rest) => {
      const params = routeParamsOf(req);
      const view: GuardRequest = params ? { ...toRequestView(req), params } : toRequestView(req);
      const context = nodeContext(view, res, () => readAndKeepBody(req, limits));
      const proceed = (result: Awaited<ReturnType<typeof runGuards>>) => {
        if (result === undefined) {
          context.apply();
          return handler(req, res, ...rest);
        }
        // A rejection reaches the wrapper of `createNodeErrors` without unwinding a throw through the router.
        if (isDenial(result)) return Promise.reject(result);
        return sendReplay(res, result.replay);
      };
      const outcome = runGuards(guards, context);
      return outcome instanceof Promise ? outcome.then(proceed) : proceed(outcome);
    };
}
