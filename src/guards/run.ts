import { isApiError } from '../catalog/api-error.js';
import { RoleError } from '../catalog/role-error.js';
import type { Awaitable } from '../stores/types.js';
import type { Guard, GuardContext, Replay } from './types.js';

// The list headers several policies each add a member to (draft-ietf-httpapi-ratelimit-headers).
const lists = new Set(['ratelimit', 'ratelimit-policy']);

/**
 * A denial carrying the headers earlier guards of the chain set for the admitted response: a limit that
 * spent a unit says so on a later guard's refusal too, as it does when the guards are separate
 * middlewares. Values of list headers are joined; for any other name the denial's own value wins.
 * Anything that is no catalog denial (a plain Error, a 500 to be) is left as it is.
 */
function withPending(denial: unknown, pending: ReadonlyMap<string, string>): unknown {
  const role = denial instanceof RoleError;
  if (!role && !isApiError(denial)) return denial;
  const own = (denial as { headers?: Readonly<Record<string, string>> }).headers ?? {};
  const merged: Record<string, string> = Object.fromEntries(pending);
  for (const name in own) {
    const before = merged[name];
    merged[name] = before !== undefined && lists.has(name) ? `${before}, ${own[name]}` : own[name]!;
  }
  if (role) return (denial as RoleError).withHeaders(merged);
  // An ApiError keeps its identity, code and cause underneath; only its headers are this answer's.
  const error = Object.create(denial as object) as { headers: Readonly<Record<string, string>> };
  error.headers = merged;
  return error;
}

function check(guard: Guard, context: GuardContext, pending: boolean): ReturnType<Guard['check']> {
  if (!pending) return guard.check(context);
  let result: ReturnType<Guard['check']>;
  try {
    result = guard.check(context);
  } catch (denial) {
    throw withPending(denial, context.headers);
  }
  return result instanceof Promise
    ? result.catch((denial: unknown) => Promise.reject(withPending(denial, context.headers)))
    : result;
}

/**
 * Runs guards in order over one request: resolves with a replay to send instead of the handler, or
 * undefined to go on; throws (rejects with) the first denial, with the headers the guards before it set.
 * Synchronous while every guard is. Adapters call it; a custom integration builds the `GuardContext` itself.
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
    // Only a guard after one that set headers needs its denial amended: the common first guard runs bare.
    const result = check(guards[i]!, context, context.headers.size > 0);
    if (result instanceof Promise) {
      return result.then((settled) => settled ?? runGuards(guards, context, i + 1));
    }
    if (result) return result;
  }
  return undefined;
}
