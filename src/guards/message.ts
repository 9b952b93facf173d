import type { ApiError } from '../catalog/api-error.js';
import { isApiError } from '../catalog/api-error.js';
import { RoleError } from '../catalog/role-error.js';
import type { Awaitable } from '../stores/types.js';
import { isDenial, runGuards } from './run.js';
import type { Guard, GuardContext, GuardRequest } from './types.js';

/** The answer of guards over one message: admitted, or the error to send and the wait it asks for. */
export type MessageVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly error: ApiError | RoleError; readonly retryAfterMs: number };

const admitted: MessageVerdict = Object.freeze({ allowed: true });

function verdictOf(error: unknown): MessageVerdict {
  if (!(error instanceof RoleError) && !isApiError(error)) throw error;
  const seconds = Number(error.headers?.['retry-after']);
  return { allowed: false, error, retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : 0 };
}

/**
 * Runs guards over one unit of work that has no HTTP response (a WebSocket message): headers are not
 * written and nothing is captured; a denial is a verdict, not a throw. Rate limits, cooldowns and quotas
 * apply as on HTTP, and spend at admission: a message has no response status, so a cooldown or quota
 * that counts only succeeded requests keeps what an admitted message spent. A concurrency lease is
 * released as soon as the check ends, so hold leases for connections with `concurrency(...).acquire`.
 * @example
 * const verdict = await checkMessage([perSessionRate], view);
 * if (!verdict.allowed) sendErrorEvent(verdict.error);
 */
export function checkMessage(guards: readonly Guard[], request: GuardRequest): Awaitable<MessageVerdict> {
  const context = new MessageContext(request);
  try {
    const outcome = runGuards(guards, context);
    if (outcome instanceof Promise) {
      return outcome.then(
        (result) => {
          context.finish();
          return result !== undefined && isDenial(result) ? verdictOf(result) : admitted;
        },
        (error: unknown) => {
          context.finish();
          return verdictOf(error);
        },
      );
    }
    context.finish();
    return outcome !== undefined && isDenial(outcome) ? verdictOf(outcome) : admitted;
  } catch (error) {
    context.finish();
    return verdictOf(error);
  }
}

// A context whose methods live on the prototype: a message costs one object, not a closure per member.
class MessageContext implements GuardContext {
  private listeners: ((status: number | undefined) => void)[] | undefined;
  private written: Map<string, string> | undefined;

  constructor(readonly request: GuardRequest) {}

  get headers(): Map<string, string> {
    this.written ??= new Map();
    return this.written;
  }

  onFinish(listener: (status: number | undefined) => void): void {
    this.listeners ??= [];
    this.listeners.push(listener);
  }

  body(): undefined {
    return undefined;
  }

  capture(listener: (response: undefined) => void): void {
    this.onFinish(() => listener(undefined));
  }

  /** Runs the finish listeners once the check has ended. */
  finish(): void {
    const listeners = this.listeners;
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        listener(undefined);
      } catch {
        // A listener's failure must not change the verdict.
      }
    }
  }
}
