import { cancelSource, decidedOnce } from './once.js';
import { luaSources } from './scripts.js';
import { sha1Hex } from './sha1.js';

/** A script as the store sends it: by its SHA1, and by its source when Redis has not loaded it. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: sha1Hex(source) };
}

/** The store's scripts; the spends are decided once (`once.ts`). */
export const scripts = {
  rate: script(decidedOnce(luaSources.rate)),
  quota: script(decidedOnce(luaSources.quota)),
  window: script(decidedOnce(luaSources.window)),
  cancel: script(cancelSource),
  acquire: script(luaSources.acquire),
  renew: script(luaSources.renew),
  release: script(luaSources.release),
  claim: script(luaSources.claim),
  complete: script(luaSources.complete),
  abandon: script(luaSources.abandon),
};

export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
