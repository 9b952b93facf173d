/**
 * How much one project and one account may hold. Every collection a caller can grow has a cap, so that
 * one key cannot grow the process (or the recordings folder) without bound; a request past a cap is the
 * page's `QUOTA_EXCEEDED` (429): unlike a rate limit it does not clear with time, only with deletion or a
 * raised limit, so it carries no `Retry-After`.
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

/** The page's 429 for a full collection; which one stays in the log. */
export const quotaExceeded = (what: string) =>
  errors.builtin('quotaExceeded', undefined, { cause: new Error(`the limit of ${what} is reached`) });

/** Refuses adding `adding` rows to a collection of `size` rows capped at `limit`. */
export function ensureRoom(what: string, size: number, adding: number, limit: number): void {
  if (size + adding > limit) throw quotaExceeded(what);
}
