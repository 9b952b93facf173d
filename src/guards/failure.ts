import { isApiError } from '../catalog/api-error.js';
import { memoryStore } from '../stores/memory.js';
import type { Awaitable, Store } from '../stores/types.js';
import { raise } from './raise.js';
import type { GuardRequest, StoreOptions } from './types.js';

/** The store decision did not answer and the failure policy admits the request. */
export const admitted: unique symbol = Symbol('admitted');

let shared: Store | undefined;

/** The store a guard uses: its own, or one memory store shared by the process. */
export function storeOf(options: StoreOptions): Store {
  if (options.store) return options.store;
  shared ??= memoryStore();
  return shared;
}

/** Compiled failure handling of one guard. */
export interface Decide {
  /** Runs a store call under the failure policy and timeout. */
  <T>(request: GuardRequest, call: () => Awaitable<T>): Awaitable<T | typeof admitted>;
  /** The policy's answer to a failure: `admitted`, or a throw. */
  fail(error: unknown, request: GuardRequest): typeof admitted;
  /** A pending store answer under the timeout and the policy. */
  settle<T>(pending: Promise<T>, request: GuardRequest): Promise<T | typeof admitted>;
}

/**
 * Wraps store calls in the guard's failure policy and timeout: a failure or a timeout never escapes as a
 * crash or an unhandled rejection; it becomes an admission or the policy's error.
 */
export function compileFailure(options: StoreOptions): Decide {
  const policy = options.onStoreError ?? 'closed';
  const timeout = options.storeTimeout ?? 1000;
  const retryAfter = String(options.storeRetryAfter ?? 5);

  function fail(error: unknown, request: GuardRequest): typeof admitted {
    let verdict: unknown = policy;
    if (typeof policy === 'function') {
      try {
        verdict = policy(error, request);
      } catch (thrown) {
        verdict = thrown;
      }
    }
    if (verdict === 'open') return admitted;
    if (isApiError(verdict)) throw verdict;
    throw raise('storeUnavailable', undefined, { 'retry-after': retryAfter });
  }

  function settle<T>(pending: Promise<T>, request: GuardRequest): Promise<T | typeof admitted> {
    return new Promise<T | typeof admitted>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        try {
          resolve(fail(new Error(`store did not answer within ${timeout} ms`), request));
        } catch (error) {
          reject(error);
        }
      }, timeout);
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (settled) return;
          try {
            resolve(fail(error, request));
          } catch (denied) {
            reject(denied);
          }
        },
      );
    });
  }

  const decide = <T>(request: GuardRequest, call: () => Awaitable<T>): Awaitable<T | typeof admitted> => {
    let pending: Awaitable<T>;
    try {
      pending = call();
    } catch (error) {
      return fail(error, request);
    }
    return pending instanceof Promise ? settle(pending, request) : pending;
  };
  return Object.assign(decide, { fail, settle });
}
