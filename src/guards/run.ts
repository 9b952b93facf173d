import type { Awaitable } from '../stores/types.js';
import type { Guard, GuardContext, Replay } from './types.js';

/**
 * Runs guards in order over one request: resolves with a replay to send instead of the handler, or
 * undefined to go on; throws (rejects with) the first denial. Synchronous while every guard is. Adapters
 * call it; a custom integration builds the `GuardContext` itself.
 * @example
 * const replay = await runGuards([limit, once], context);
 * if (replay) send(replay.replay); else next();
 */
export function runGuards(
  guards: readonly Guard[],
  context: GuardContext,
  from = 0,
): Awaitable<Replay | undefined> {
  for (let i = from; i < guards.length; i++) {
    const result = guards[i]!.check(context);
    if (result instanceof Promise) {
      return result.then((settled) => settled ?? runGuards(guards, context, i + 1));
    }
    if (result) return result;
  }
  return undefined;
}
