import { isApiError } from '../catalog/api-error.js';
import { FaultlineConfigError } from '../catalog/config-error.js';
import { RoleError, roleError } from '../catalog/role-error.js';
import { memoryStore } from '../stores/memory.js';
import { outageOf } from '../stores/outage.js';
import {
  type Awaitable,
  capabilityMethods,
  type Deadline,
  missingMethods,
  type StoreBase,
} from '../stores/types.js';
import { quietly } from './per-request.js';
import type { GuardRequest, StoreOptions } from './types.js';

/** The store decision did not answer and the failure policy admits the request. */
export const admitted: unique symbol = Symbol('admitted');

/** A capability a guard needs of its store. */
export type Capability = keyof typeof capabilityMethods;

/**
 * The store a guard uses: the one it was given, or a memory store of its own (as express-rate-limit gives
 * each limiter), so that two guards without a store never spend one count. A store lacking a method of the
 * capability the guard needs is refused here, when the guard is created, not on its first request.
 */
export function storeOf<S extends StoreBase>(
  options: StoreOptions<S>,
  guard: string,
  needs: Capability,
  why?: string,
): S {
  const store = options.store;
  if (store === undefined || store === null) return memoryStore() as unknown as S;
  const missing = missingMethods(store, needs);
  if (typeof store !== 'object' || missing.length > 0) {
    const lacking =
      typeof store !== 'object' ? 'is not an object' : `lacks ${missing.map((m) => `${m}()`).join(', ')}`;
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_OPTION',
      `${guard}({ store }): the store ${lacking}; ${guard} needs a ${needs} (${capabilityMethods[needs].join(', ')})${why ? `: ${why}` : ''}`,
    );
  }
  return store;
}

/** The deadline of one decision, which the guard abandons when it stops waiting. */
export class OpenDeadline implements Deadline {
  abandoned = false;
  private undos: (() => void)[] | undefined;

  constructor(readonly at: number) {}

  onAbandon(undo: () => void): void {
    if (this.abandoned) run(undo);
    else if (this.undos === undefined) this.undos = [undo];
    else this.undos.push(undo);
  }

  /** Marks the decision abandoned and runs the store's undos, before the answer without it is written. */
  abandon(): void {
    this.abandoned = true;
    const undos = this.undos;
    this.undos = undefined;
    if (undos) for (const undo of undos) run(undo);
  }
}

function run(undo: () => void): void {
  try {
    undo();
  } catch {
    // A store's undo that throws leaves the decision to its late reply, or to its TTL.
  }
}

/** Compiled failure handling of one guard. */
export interface Decide {
  /** Runs a store call under the failure policy and timeout; the call gets the decision's deadline. */
  <T>(
    request: GuardRequest,
    call: (deadline: Deadline | undefined) => Awaitable<T>,
  ): Awaitable<T | typeof admitted>;
  /** The policy's answer to a failure: `admitted`, or a throw. */
  fail(error: unknown, request: GuardRequest): typeof admitted;
  /** A pending store answer under the timeout and the policy; the deadline is abandoned on timeout. */
  settle<T>(
    pending: Promise<T>,
    request: GuardRequest,
    deadline?: OpenDeadline,
  ): Promise<T | typeof admitted>;
  /** A deadline for one decision starting now; undefined for a synchronous store, which never waits. */
  deadline(): OpenDeadline | undefined;
  /** Notes a decision the store answered synchronously (a recovery, after an outage). */
  answered(): void;
  /** While the store is shut (it answered nothing for a whole timeout), the failure to give at once. */
  refused(request: GuardRequest): unknown;
  /** Sends a give-back (a refund): like a decision, but sent even while the store is shut. */
  giveBack(request: GuardRequest, call: () => Awaitable<unknown>): void;
}

/** Why a decision failed: the store took longer than the guard's `storeTimeout`. */
class StoreTimeoutError extends Error {
  override readonly name = 'StoreTimeoutError';
}

/**
 * `value`, or a rejection with a `StoreTimeoutError` once `timeout` ms pass without it: reading or resetting
 * a key's state (`rateLimit`'s `get` and `reset`) waits on a hung store no longer than a decision does.
 */
export function within<T>(value: Awaitable<T>, timeout: number): Promise<T> {
  if (!(value instanceof Promise)) return Promise.resolve(value);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StoreTimeoutError(`store did not answer within ${timeout} ms`)),
      timeout,
    );
    value.then(
      (settled) => {
        clearTimeout(timer);
        resolve(settled);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Wraps store calls in the guard's failure policy and timeout: a failure or a timeout never escapes as a
 * crash or an unhandled rejection; it becomes an admission or the policy's error, whose `cause` is the
 * failure. A decision the guard stopped waiting for is abandoned, so that the store undoes it. The first
 * failure of an outage and the recovery are logged once per store (the store's `logger`, else stderr).
 */
export function compileFailure(options: StoreOptions<StoreBase>, store: StoreBase | 'lookup'): Decide {
  const policy = options.onStoreError ?? 'closed';
  const timeout = options.storeTimeout ?? 1000;
  const retryAfter = String(options.storeRetryAfter ?? 5);
  // A lookup (the app's own function of the request) is no store: its outage is its own, and it never
  // shuts. One key's slow lookup would otherwise shut it for every caller.
  const lookup = store === 'lookup';
  const outage = outageOf(lookup ? undefined : store);
  const shutError = new StoreTimeoutError(
    `store answered nothing within ${timeout} ms; its decisions fail at once until it answers again`,
  );
  // A store whose decisions all answer synchronously cannot answer late: no deadline to carry.
  const timed = !lookup && store.synchronous !== true;

  function fail(error: unknown, request: GuardRequest): typeof admitted {
    outage.failed(error);
    let verdict: unknown = policy;
    if (typeof policy === 'function') {
      try {
        verdict = policy(error, request);
      } catch (thrown) {
        verdict = thrown;
      }
    }
    if (verdict === 'open') return admitted;
    if (isApiError(verdict) || verdict instanceof RoleError) throw verdict;
    throw roleError('storeUnavailable', { cause: error, headers: { 'retry-after': retryAfter } });
  }

  function deadline(): OpenDeadline | undefined {
    return timed ? new OpenDeadline(Date.now() + timeout) : undefined;
  }

  function settle<T>(
    pending: Promise<T>,
    request: GuardRequest,
    open?: OpenDeadline,
  ): Promise<T | typeof admitted> {
    const since = outage.heard;
    return new Promise<T | typeof admitted>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        // The store undoes what this decision applies from now on: the answer is given without it.
        open?.abandon();
        if (!lookup) outage.silent(since, request, shutError);
        try {
          resolve(fail(new StoreTimeoutError(`store did not answer within ${timeout} ms`), request));
        } catch (error) {
          reject(error);
        }
      }, timeout);
      pending.then(
        (value) => {
          clearTimeout(timer);
          if (settled) return;
          outage.heardFrom();
          if (outage.down) outage.answered();
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (settled) return;
          outage.heardFrom();
          // The store may have applied what it failed to answer: its undos run (a lease given back, a
          // claim abandoned, by their own ids), so that the answer without it leaves nothing behind.
          open?.abandon();
          try {
            resolve(fail(error, request));
          } catch (denied) {
            reject(denied);
          }
        },
      );
    });
  }

  const refused = (request: GuardRequest) => (outage.down ? outage.refusal(timeout, request) : undefined);

  const decide = <T>(
    request: GuardRequest,
    call: (deadline: Deadline | undefined) => Awaitable<T>,
  ): Awaitable<T | typeof admitted> => {
    const shut = refused(request);
    return shut === undefined ? send(request, call) : fail(shut, request);
  };

  function send<T>(
    request: GuardRequest,
    call: (deadline: Deadline | undefined) => Awaitable<T>,
  ): Awaitable<T | typeof admitted> {
    const open = deadline();
    let pending: Awaitable<T>;
    try {
      pending = call(open);
    } catch (error) {
      outage.heardFrom();
      return fail(error, request);
    }
    if (pending instanceof Promise) return settle(pending, request, open);
    answered();
    return pending;
  }

  // A give-back makes no request wait, and a shut store must not lose it: it goes out whatever the state.
  const giveBack = (request: GuardRequest, call: () => Awaitable<unknown>) =>
    quietly(() => send(request, call));
  function answered(): void {
    if (!outage.down) return;
    outage.heardFrom();
    outage.answered();
  }
  return Object.assign(decide, { fail, settle, deadline, answered, refused, giveBack });
}
