/**
 * How much one project and one account may hold. Every collection a caller can grow has a cap, so that
 * one key cannot grow the process (or the recordings folder) without bound. A request past a cap is the
 * page's 403 ("You do not have permission for the requested action") in the standard `FORBIDDEN` code,
 * its message naming the cap: not the page's 429, which is a rate limit that clears "after the period
 * indicated in the response headers", while a cap clears only by deleting or by a raised limit.
 */
import { errors } from './catalog.js';

export interface Limits {
  /**
   * Rows of each collection of a project: conversations, chats, drafts, deployments, flows (and the
   * function names of one flow), functions, knowledge-base topics, connectors, phone numbers, variants,
   * SMS templates and test cases. @default 1000
   */
  readonly perProject: number;
  /** The bytes of all recordings of one project together. @default 100 MiB */
  readonly recordingBytes: number;
  /** Projects of one account. @default 20 */
  readonly projects: number;
  /** Users of one account (removed users are remembered as many again, then forgotten). @default 50 */
  readonly users: number;
  /** Accounts one account started by the operator may create (an account created through the API creates none). @default 20 */
  readonly accounts: number;
}

export const defaultLimits: Limits = {
  perProject: 1000,
  recordingBytes: 100 * 1024 * 1024,
  projects: 20,
  users: 50,
  accounts: 20,
};

/** The answer to a request past a cap, `cap` saying which. */
export const limitReached = (cap: string) => errors.builtin('forbidden', undefined, { message: cap });

/** The answer to one more row of a full collection: `The account's projects are at their limit of 20.` */
export const collectionFull = (holder: string, what: string, limit: number) =>
  limitReached(`The ${holder}'s ${what} are at their limit of ${limit}.`);

/**
 * Refuses adding `adding` rows to the collection `what` of `holder` (`account`, `project`, `flow`), which
 * has `size` rows and may have `limit`.
 */
export function ensureRoom(holder: string, what: string, size: number, adding: number, limit: number): void {
  if (size + adding <= limit) return;
  if (size >= limit) throw collectionFull(holder, what, limit);
  throw limitReached(
    `The ${holder}'s ${what} would pass their limit of ${limit}: the ${holder} has ${size} and the request adds ${adding}.`,
  );
}
