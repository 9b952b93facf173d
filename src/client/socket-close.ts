import { ApiError } from '../catalog/api-error.js';
import { roleOfStatus } from '../catalog/standard.js';
import type { Catalog, CatalogEntry } from '../catalog/types.js';
import { isWsEntry, wsBehaviourOf } from '../catalog/ws-codes.js';
import type { ReconnectAdvice } from '../catalog/ws-types.js';

/** What a client does after a close: `stop` after a normal close, else the catalog's advice. */
export type CloseDecision = ReconnectAdvice | 'stop';

/** A close, classified: the error it stands for, and whether and how to reconnect. */
export interface ClassifiedClose {
  /** The error the close stands for; `undefined` for a normal close (1000 without a catalog code). */
  readonly error: ApiError | undefined;
  readonly reconnect: CloseDecision;
  /** Whether the session survives: reconnect with the resume cursor. */
  readonly resume: boolean;
}

// RFC 6455 and IANA codes: what a client should do when no catalog entry says otherwise.
const rfcAdvice: Readonly<Record<number, { reconnect: CloseDecision; status: number }>> = {
  1000: { reconnect: 'stop', status: 200 },
  1001: { reconnect: 'backoff', status: 503 },
  1002: { reconnect: 'never', status: 400 },
  1003: { reconnect: 'never', status: 415 },
  1005: { reconnect: 'backoff', status: 500 },
  1006: { reconnect: 'backoff', status: 503 },
  1007: { reconnect: 'never', status: 400 },
  1008: { reconnect: 'never', status: 400 },
  1009: { reconnect: 'never', status: 413 },
  1010: { reconnect: 'never', status: 400 },
  1011: { reconnect: 'backoff', status: 500 },
  1012: { reconnect: 'backoff', status: 503 },
  1013: { reconnect: 'backoff', status: 503 },
  1014: { reconnect: 'backoff', status: 502 },
  1015: { reconnect: 'never', status: 502 },
};

function fromEntry(entry: CatalogEntry, code: number): ClassifiedClose {
  const behaviour = wsBehaviourOf(entry);
  const error = new ApiError(
    {
      code: entry.code,
      status: entry.status,
      message: entry.message,
      id: entry.id,
      category: entry.category,
      retryable: entry.retryable,
      type: entry.type,
      role: entry.role,
    },
    { stack: false },
  );
  (error as { closeCode?: number }).closeCode = code;
  return { error, reconnect: behaviour.reconnect, resume: behaviour.resume };
}

function entryForCode(catalog: Catalog<any>, code: number): CatalogEntry | undefined {
  let derived: CatalogEntry | undefined;
  for (const name of catalog.codes) {
    const entry = catalog.entries[name] as CatalogEntry;
    if (entry.ws?.close === code) return entry;
    if (derived === undefined && isWsEntry(entry) && wsBehaviourOf(entry).closeCode === code) derived = entry;
  }
  if (derived) return derived;
  if (code >= 4400 && code <= 4599) {
    const role = roleOfStatus[code - 4000];
    const name = role === undefined ? undefined : catalog.builtins[role];
    return name === undefined ? undefined : catalog.get(name);
  }
  return undefined;
}

/**
 * Classifies a close: the catalog code in the reason wins, then an entry whose close code it is, then the
 * catalog's `closeCodes` table, then the RFC meaning. Unknown codes are kept as `WS_CLOSE_<code>`.
 * @example
 * const { error, reconnect } = classifyClose(event.code, event.reason, catalog); // 4401 → 'afterAuth'
 */
export function classifyClose(code: number, reason: string, catalog?: Catalog<any>): ClassifiedClose {
  if (catalog) {
    const byReason = reason ? catalog.get(reason) : undefined;
    if (byReason) return fromEntry(byReason, code);
    // A client catalog (`clientCatalog`) has no close-code table: a plain-JS caller may pass one.
    const row = catalog.closeCodes?.find((c) => c.code === code);
    if (row) {
      if (code === 1000) return { error: undefined, reconnect: 'stop', resume: row.resume };
      return {
        error: new ApiError(
          {
            code: `WS_CLOSE_${code}`,
            status: rfcAdvice[code]?.status ?? 500,
            message: row.name,
            retryable: row.reconnect !== 'never',
          },
          { stack: false },
        ),
        reconnect: row.reconnect,
        resume: row.resume,
      };
    }
    const entry = entryForCode(catalog, code);
    if (entry) return fromEntry(entry, code);
  }
  if (code === 1000) return { error: undefined, reconnect: 'stop', resume: false };
  const rfc = rfcAdvice[code];
  const status = rfc?.status ?? (code >= 4400 && code <= 4599 ? code - 4000 : 500);
  const reconnect: CloseDecision =
    rfc?.reconnect ??
    (status === 401 ? 'afterAuth' : status === 408 || status === 429 || status >= 500 ? 'backoff' : 'never');
  return {
    error: new ApiError(
      {
        code: `WS_CLOSE_${code}`,
        status,
        message: reason || `Connection closed with ${code}`,
        retryable: reconnect !== 'never',
      },
      { stack: false },
    ),
    reconnect,
    resume: false,
  };
}
