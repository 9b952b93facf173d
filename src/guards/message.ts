import type { ApiError } from '../catalog/api-error.js';
import { isApiError } from '../catalog/api-error.js';
import type { Awaitable } from '../stores/types.js';
import { runGuards } from './run.js';
import type { Guard, GuardContext, GuardRequest } from './types.js';

/** The answer of guards over one message: admitted, or the error to send and the wait it asks for. */
export type MessageVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly error: ApiError; readonly retryAfter: number };

const admitted: MessageVerdict = Object.freeze({ allowed: true });

function verdictOf(error: unknown): MessageVerdict {
  if (!isApiError(error)) throw error;
  const seconds = Number(error.headers['retry-after']);
  return { allowed: false, error, retryAfter: Number.isFinite(seconds) ? seconds * 1000 : 0 };
}

/**
 * Runs guards over one unit of work that has no HTTP response (a WebSocket message): headers are not
 * written and nothing is captured; a denial is a verdict, not a throw. Rate limits, cooldowns and quotas
 * apply as on HTTP; a concurrency lease is released as soon as the check ends, so hold leases for
 * connections with `concurrency(...).acquire` instead.
 * @example
 * const verdict = await checkMessage([perSessionRate], view);
 * if (!verdict.allowed) sendErrorEvent(verdict.error);
 */
export function checkMessage(guards: readonly Guard[], request: GuardRequest): Awaitable<MessageVerdict> {
  const finish: ((status: number | undefined) => void)[] = [];
  const context: GuardContext = {
    request,
    headers: new Map(),
    onFinish: (listener) => finish.push(listener),
    body: () => undefined,
    capture: (listener) => finish.push(() => listener(undefined)),
  };
  const done = () => {
    for (const listener of finish) {
      try {
        listener(undefined);
      } catch {
        // A listener's failure must not change the verdict.
      }
    }
  };
  try {
    const outcome = runGuards(guards, context);
    if (outcome instanceof Promise) {
      return outcome
        .then(
          () => admitted,
          (error: unknown) => verdictOf(error),
        )
        .finally(done);
    }
    done();
    return admitted;
  } catch (error) {
    done();
    return verdictOf(error);
  }
}
