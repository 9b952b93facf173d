import type { Request, RequestHandler, Response } from 'express';
import { nodeContext, sendReplay } from '../../guards/node-context.js';
import { runGuards } from '../../guards/run.js';
import type { Guard } from '../../guards/types.js';
import { toRequestView } from './request.js';

/**
 * Guards as one Express middleware: a denial goes to `next(error)` (the faultline error middleware
 * answers it), admitted responses carry the guards' headers, replays are sent as stored. Mount it after
 * the body parser when it holds `idempotency` (the fingerprint reads `req.body`).
 * @example
 * app.post('/orders', errors.json(), guard(rateLimit({ key: byIp, limit: 10, period: '1m' })), createOrder);
 */
export function guard(...guards: Guard[]): RequestHandler {
  return (req: Request, res: Response, next) => {
    const context = nodeContext(toRequestView(req), res, () => req.body as unknown);
    const proceed = (replay: Awaited<ReturnType<typeof runGuards>>) => {
      if (replay) return sendReplay(res, replay.replay);
      context.apply();
      next();
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
