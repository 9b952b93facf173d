import { FaultlineConfigError } from './config-error.js';
import type { CatalogEntry } from './types.js';
import { wsRoles } from './ws-roles.js';
import type { CloseCodeDefinition, CloseCodeInfo, ReconnectAdvice, WsBehaviour, WsRole } from './ws-types.js';

/**
 * What a close code is on the wire: `sendable` (RFC 6455 and `ws` accept it in a close frame),
 * `observed` (1005, 1006, 1015: reported by endpoints, never sent) or `invalid`.
 * @example
 * closeCodeKind(4401); // 'sendable'
 * closeCodeKind(1006); // 'observed'
 * closeCodeKind(408);  // 'invalid'
 */
export function closeCodeKind(code: number): 'sendable' | 'observed' | 'invalid' {
  if (!Number.isInteger(code)) return 'invalid';
  if (code === 1005 || code === 1006 || code === 1015) return 'observed';
  if ((code >= 1000 && code <= 1014 && code !== 1004) || (code >= 3000 && code <= 4999)) return 'sendable';
  return 'invalid';
}

// The names of the IANA WebSocket Close Code Number Registry (RFC 6455 §11.7 and later registrations).
const registeredNames: Readonly<Record<number, string>> = {
  1000: 'Normal Closure',
  1001: 'Going Away',
  1002: 'Protocol Error',
  1003: 'Unsupported Data',
  1005: 'No Status Received',
  1006: 'Abnormal Closure',
  1007: 'Invalid Frame Payload Data',
  1008: 'Policy Violation',
  1009: 'Message Too Big',
  1010: 'Mandatory Extension',
  1011: 'Internal Error',
  1012: 'Service Restart',
  1013: 'Try Again Later',
  1014: 'Bad Gateway',
  1015: 'TLS Handshake',
};

/**
 * The registered name of a close code below 3000 (`1003` is "Unsupported Data"), for the tables that name
 * each code; `undefined` for the codes an API or library defines (3000–4999).
 * @example
 * registeredCloseName(1011); // 'Internal Error'
 */
export function registeredCloseName(code: number): string | undefined {
  return registeredNames[code];
}

const reconnects: ReadonlySet<string> = new Set(['never', 'backoff', 'afterAuth', 'immediate']);

// The RFC close code of a mechanism, where one fits better than 4000 + status.
const rfcCodeOfRole: Partial<Record<WsRole | 'internalError', number>> = {
  messageTooLarge: 1009,
  messageUnsupported: 1003,
  goingAway: 1001,
  serviceRestart: 1012,
  internalError: 1011,
};

function invalidClose(code: string, close: unknown): never {
  const n = typeof close === 'number' ? close : Number.NaN;
  const hint =
    n === 1005 || n === 1006 || n === 1015
      ? 'it is observed only, never sent: list it in the closeCodes option instead'
      : Number.isInteger(n) && n >= 0 && n < 1000
        ? `it is not a WebSocket close code: use ${4000 + n}`
        : 'use 1000–1003, 1007–1014 or 3000–4999 (4000 + status for API codes)';
  throw new FaultlineConfigError(
    'FAULTLINE_INVALID_CLOSE_CODE',
    `${code} has ws.close ${String(close)}: ${hint}`,
  );
}

/** Checks an entry's `ws` block when the catalog is defined; a wrong one fails here, naming the code. */
export function checkWsBehaviour(code: string, ws: WsBehaviour | undefined): void {
  if (ws === undefined) return;
  if (typeof ws !== 'object' || ws === null) {
    throw new FaultlineConfigError('FAULTLINE_INVALID_CLOSE_CODE', `${code} has ws ${String(ws)}`);
  }
  if (ws.close !== undefined && ws.close !== false && closeCodeKind(ws.close as number) !== 'sendable') {
    invalidClose(code, ws.close);
  }
  if (ws.reconnect !== undefined && !reconnects.has(ws.reconnect)) {
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_OPTION',
      `${code} has ws.reconnect ${JSON.stringify(ws.reconnect)}: use never, backoff, afterAuth or immediate`,
    );
  }
}

/** Fails when two entries close with one explicit code but advise clients differently: a client could not tell. */
export function checkCloseConflicts(entries: readonly { code: string; ws: WsBehaviour | undefined }[]): void {
  const seen = new Map<number, { code: string; reconnect: ReconnectAdvice }>();
  for (const { code, ws } of entries) {
    if (typeof ws?.close !== 'number' || ws.reconnect === undefined) continue;
    const other = seen.get(ws.close);
    if (other && other.reconnect !== ws.reconnect) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_CLOSE_CODE',
        `${other.code} and ${code} close with ${ws.close} but advise ${other.reconnect} and ${ws.reconnect}: give one of them its own code`,
      );
    }
    seen.set(ws.close, { code, reconnect: ws.reconnect });
  }
}

function defaultCloseReconnect(code: number): ReconnectAdvice {
  return code === 1001 || code === 1006 || (code >= 1011 && code <= 1014) ? 'backoff' : 'never';
}

/** The documented close codes of a catalog, checked and sorted. */
export function resolveCloseCodes(
  table: Readonly<Record<number, CloseCodeDefinition>> | undefined,
): readonly CloseCodeInfo[] {
  if (table === undefined) return Object.freeze([]);
  const rows: CloseCodeInfo[] = [];
  for (const [key, row] of Object.entries(table)) {
    const code = Number(key);
    if (
      !Number.isInteger(code) ||
      code < 0 ||
      code > 65535 ||
      typeof row?.name !== 'string' ||
      row.name === ''
    ) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_CLOSE_CODE',
        `closeCodes[${key}]: a close code is an integer 0–65535 with a name`,
      );
    }
    if (row.reconnect !== undefined && !reconnects.has(row.reconnect)) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_OPTION',
        `closeCodes[${key}].reconnect ${String(row.reconnect)}`,
      );
    }
    rows.push(
      Object.freeze({
        code,
        name: row.name,
        description: row.description,
        reconnect: row.reconnect ?? defaultCloseReconnect(code),
        resume: row.resume ?? false,
        kind: closeCodeKind(code) === 'sendable' ? 'sendable' : 'observed',
      }),
    );
  }
  return Object.freeze(rows.sort((a, b) => a.code - b.code));
}

/** An entry's WebSocket behaviour with every default filled in. */
export interface ResolvedWsBehaviour {
  /** The code a connection-scope raise closes with. */
  readonly closeCode: number;
  /** Whether a raise inside a message handler closes the connection (else: event, stays open). */
  readonly closesOnRaise: boolean;
  readonly notify: boolean;
  readonly reconnect: ReconnectAdvice;
  readonly resume: boolean;
  readonly endsSession: boolean;
  readonly roles: readonly WsRole[];
}

const resolved = new WeakMap<CatalogEntry, ResolvedWsBehaviour>();

/** True for a code of the WebSocket layer: it has a `ws` block or answers for a WebSocket mechanism. */
export function isWsEntry(entry: CatalogEntry): boolean {
  return entry.ws !== undefined || entry.roles.some((role) => (wsRoles as readonly string[]).includes(role));
}

/**
 * The close code of a mechanism's error: the RFC code of the mechanism (1001 going away, 1012 restart, 1009
 * too large) when the entry that answers for it is its HTTP twin and sets no close of its own, else the
 * entry's.
 */
export function closeCodeOfRole(entry: CatalogEntry, role: WsRole): number {
  const behaviour = wsBehaviourOf(entry);
  if (typeof entry.ws?.close === 'number' || behaviour.roles.includes(role)) return behaviour.closeCode;
  return rfcCodeOfRole[role] ?? behaviour.closeCode;
}

/**
 * An entry's WebSocket behaviour with defaults derived: its close code (the RFC code of its role, else
 * 4000 + status), whether a message-scope raise closes, and the reconnect advice.
 * @example
 * wsBehaviourOf(errors.entries.UNAUTHORIZED); // { closeCode: 4401, reconnect: 'afterAuth', … }
 */
export function wsBehaviourOf(entry: CatalogEntry): ResolvedWsBehaviour {
  let behaviour = resolved.get(entry);
  if (behaviour) return behaviour;
  const ws = entry.ws ?? {};
  const roles = entry.roles.filter((role): role is WsRole => (wsRoles as readonly string[]).includes(role));
  let closeCode = typeof ws.close === 'number' ? ws.close : undefined;
  if (closeCode === undefined) {
    for (const role of entry.roles) {
      const rfc = rfcCodeOfRole[role as WsRole | 'internalError'];
      if (rfc !== undefined) {
        closeCode = rfc;
        break;
      }
    }
  }
  closeCode ??= 4000 + entry.status;
  if (closeCodeKind(closeCode) !== 'sendable') closeCode = 1008;
  behaviour = Object.freeze({
    closeCode,
    // A session that ended leaves its connection nothing to carry: it closes after the session-end event.
    closesOnRaise: typeof ws.close === 'number' || ws.endsSession === true,
    notify: ws.notify ?? true,
    reconnect:
      ws.reconnect ??
      (closeCode === 1001 || closeCode === 1012
        ? 'backoff'
        : entry.status === 401
          ? 'afterAuth'
          : entry.retryable
            ? 'backoff'
            : 'never'),
    resume: ws.resume ?? false,
    endsSession: ws.endsSession ?? false,
    roles: Object.freeze([...roles]),
  });
  resolved.set(entry, behaviour);
  return behaviour;
}
