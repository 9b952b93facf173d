import { isApiError } from '../catalog/api-error.js';
import { FaultlineConfigError } from '../catalog/config-error.js';
import { over, RoleError } from '../catalog/role-error.js';
import type { Awaitable } from '../stores/types.js';
import type { Denial, Guard, GuardContext, Replay } from './types.js';

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
  return over(denial as object, 'headers', merged);
}

/** Whether a guard's result refuses the request (any other result is a replay to send). */
export function isDenial(result: Replay | Denial): result is Denial {
  return result instanceof RoleError || isApiError(result);
}

function isReplay(value: object): boolean {
  const replay = (value as { replay?: Partial<Replay['replay']> | null }).replay;
  return (
    typeof replay === 'object' &&
    replay !== null &&
    typeof replay.status === 'number' &&
    Array.isArray(replay.headers) &&
    replay.body instanceof Uint8Array
  );
}

/**
 * A guard's result as the contract has it. Anything else (`false` meant as a denial, `null` meant as an
 * admission, a malformed replay) is a configuration error, answered as the catalog's 500 and logged:
 * never an admission, and never a crash of the adapter that would send it.
 */
function contracted(guard: Guard, result: unknown): Replay | Denial | undefined {
  if (result === undefined) return result;
  if (typeof result === 'object' && result !== null && (isDenial(result as Denial) || isReplay(result)))
    return result as Replay | Denial;
  throw new FaultlineConfigError(
    'FAULTLINE_INVALID_OPTION',
    `guard "${String(guard.kind)}" answered ${result === null ? 'null' : typeof result}: check(context) returns undefined to admit, a RoleError or ApiError to deny, or a replay`,
  );
}

/**
 * What a guard threw or rejected with, as something every adapter hands on as an error: `null`,
 * `undefined` or another falsy value would read as "no error" to Express's `next` and Fastify's `done`,
 * and admit the request. Such a value is a configuration error (the catalog's 500, logged).
 */
function thrownBy(guard: Guard, thrown: unknown): unknown {
  if (thrown) return thrown;
  return new FaultlineConfigError(
    'FAULTLINE_INVALID_OPTION',
    `guard "${String(guard.kind)}" threw ${String(thrown)}: deny with a RoleError or ApiError`,
  );
}

function check(guard: Guard, context: GuardContext, pending: boolean): ReturnType<Guard['check']> {
  let result: ReturnType<Guard['check']>;
  try {
    result = settle(guard, guard.check(context));
  } catch (thrown) {
    const error = thrownBy(guard, thrown);
    throw pending ? withPending(error, context.headers) : error;
  }
  if (!pending) return result;
  if (result instanceof Promise) {
    return result.then(
      (settled) =>
        settled === undefined ? settled : (withPending(settled, context.headers) as typeof settled),
      (denial: unknown) => Promise.reject(withPending(denial, context.headers)),
    );
  }
  return result === undefined ? result : (withPending(result, context.headers) as typeof result);
}

function settle(guard: Guard, result: ReturnType<Guard['check']>): ReturnType<Guard['check']> {
  if (result === undefined) return result;
  return result instanceof Promise
    ? result.then(
        (settled) => contracted(guard, settled),
        (thrown: unknown) => Promise.reject(thrownBy(guard, thrown)),
      )
    : contracted(guard, result);
}

/**
 * Runs guards in order over one request: resolves with undefined to go on, a replay to send instead of
 * the handler, or the first denial, with the headers the guards before it set. A guard that throws (or
 * rejects) has its denial thrown on, amended alike. Synchronous while every guard is. Adapters call it; a
 * custom integration builds the `GuardContext` itself.
 * @example
 * const result = await runGuards([limit, once], context);
 * if (result === undefined) next();
 * else if (isDenial(result)) answerError(result);
 * else send(result.replay);
 */
export function runGuards(
  guards: readonly Guard[],
  context: GuardContext,
  from = 0,
): Awaitable<Replay | Denial | undefined> {
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
