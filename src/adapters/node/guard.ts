import type { IncomingMessage, ServerResponse } from 'node:http';
import { nodeContext, sendReplay } from '../../guards/node-context.js';
import { runGuards } from '../../guards/run.js';
import type { Guard } from '../../guards/types.js';
import type { NodeHandler } from './create-node-errors.js';
import { readNodeBody } from './read-body.js';
import { toRequestView } from './request.js';

const bodyBytes = Symbol.for('faultline.bodyBytes');
const limits = { limit: 1_048_576, maxDepth: 256, readTimeout: 10_000 };

// The idempotency fingerprint needs the body: read it once and keep the bytes where the readers look.
function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const kept = (req as unknown as Record<symbol, Uint8Array | undefined>)[bodyBytes];
  if (kept) return Promise.resolve(kept);
  return readNodeBody(req, limits).then((bytes) => {
    (req as unknown as Record<symbol, Uint8Array>)[bodyBytes] = bytes;
    return bytes;
  });
}

/**
 * Wraps a node:http handler in guards: a denial throws the catalog error (answered by
 * `createNodeErrors`), admitted responses carry the guards' headers, replays are sent as stored.
 * @example
 * const limited = guard(rateLimit({ key: byIp, limit: 100, period: '1m' }));
 * http.createServer(errors(limited(router.handle)));
 */
export function guard(...guards: Guard[]): (handler: NodeHandler) => NodeHandler {
  return (handler) => (req: IncomingMessage, res: ServerResponse) => {
    const context = nodeContext(toRequestView(req), res, () => readBody(req));
    const proceed = (replay: Awaited<ReturnType<typeof runGuards>>) => {
      if (replay) return sendReplay(res, replay.replay);
      context.apply();
      return handler(req, res);
    };
    const outcome = runGuards(guards, context);
    return outcome instanceof Promise ? outcome.then(proceed) : proceed(outcome);
  };
}
