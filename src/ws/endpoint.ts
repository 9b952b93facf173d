import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ApiError } from '../catalog/api-error.js';
import type { RoleError } from '../catalog/role-error.js';
import type { Lease } from '../guards/concurrency.js';
import { ipPrefix } from '../guards/key-of.js';
import type { GuardRequest } from '../guards/types.js';
import { compileTrust } from '../server/client-ip.js';
import { toErrorHandler } from '../server/handle-error.js';
import { pathOf, type RequestView } from '../server/request.js';
import { asPromise } from '../server/thenable.js';
import { letGo, safeTerminate } from './close.js';
import { Connection } from './connection.js';
import { clientErrorOf, compileOrigins, requestViewOf } from './handshake.js';
import { writeHttpAnswer } from './http.js';
import { type ConnectionLeases, connectionRequest, createConnectionLeases } from './limits.js';
import { asksForWebSocket, passOn } from './pass-on.js';
import { wsRoleError } from './roles.js';
import { compileState } from './state.js';
import type { Admission, WsConnection, WsErrors, WsErrorsOptions } from './types.js';

/**
 * A WebSocket endpoint on `ws` whose errors come from the catalog: handshake refusals are the HTTP
 * answers REST gives, errors while handling a message are error events (the connection stays open), and
 * connection-scope errors are an event, then the entry's close code. Limits are guards keyed by session.
 * @example
 * const chat = createWsErrors({ errors, authenticate: (req) => ({ key: sessionOf(req) }), on: { send_message: save } });
 * server.on('upgrade', chat.upgrade);
 */
export function createWsErrors<C = unknown>(options: WsErrorsOptions<C> = {}): WsErrors<C> {
  // A malformed trustProxy throws here, at setup, as the node adapter's does.
  const trust = compileTrust(options.trustProxy);
  const originAllowed = compileOrigins(options.origins);
  const handler = toErrorHandler(options.errors);
  const catalog = handler.catalog;
  const wss = options.server ?? new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const limits = options.limits ?? {};
  const heartbeat = limits.heartbeat === false ? undefined : (limits.heartbeat ?? 30_000);
  const leases: ConnectionLeases | undefined = limits.connections
    ? createConnectionLeases(limits.connections, heartbeat ?? 10_000)
    : undefined;
  const evictOldest = limits.connections?.onFull === 'evictOldest';
  const state = compileState(options, handler);
  const connections = new Set<Connection<C>>();
  const correlationOf = new WeakMap<IncomingMessage, string>();
  const handshakeMode = options.handshake ?? 'http';
  const idPrefix = randomBytes(4).toString('hex');
  let nextId = 0;
  let shuttingDown = false;
  let closingRole: 'goingAway' | 'serviceRestart' = 'goingAway';

  // The correlation id of a successful handshake goes on the 101 too.
  wss.on('headers', (headers, request) => {
    const id = correlationOf.get(request);
    if (id !== undefined) headers.push(`${handler.correlationHeader}: ${id}`);
  });
  wss.on('wsClientError', (error, socket, request) => {
    answer(socket, request, clientErrorOf(handler, error.message));
  });
  wss.on('error', () => {});

  // A refusal is the REST answer, correlation id included: handle() chooses it as for any request.
  function answer(socket: Duplex, request: IncomingMessage, thrown: unknown): void {
    try {
      const { status, headers, body } = handler.handle(thrown, requestViewOf(request, trust));
      writeHttpAnswer(socket, status, headers, body);
    } catch {
      socket.destroy();
    }
  }

  const timer =
    heartbeat === undefined
      ? undefined
      : setInterval(() => {
          for (const conn of connections) {
            if (conn.awaitingPong) {
              conn.terminateRole('heartbeatTimeout');
              continue;
            }
            conn.awaitingPong = true;
            try {
              conn.socket.ping();
            } catch {
              // A socket that cannot take a ping is closing already.
            }
          }
        }, heartbeat);
  timer?.unref();

  async function admit(request: IncomingMessage, view: RequestView): Promise<Admission<C>> {
    if (options.path !== undefined && pathOf(request.url) !== options.path) {
      throw catalog.builtin('notFound');
    }
    if (shuttingDown) throw wsRoleError(catalog, 'goingAway');
    return options.authenticate ? await options.authenticate(view, request) : {};
  }

  /** A lease of the connection limit (undefined when the guard skips this key), or the 429 to answer. */
  async function acquire(request: GuardRequest, key: string): Promise<Lease | undefined | ApiError> {
    let taken = await leases!.acquire(request);
    if (isDenied(taken) && evictOldest) {
      const oldest = [...connections].find((c) => c.key === key && !c.closing);
      if (oldest) {
        oldest.failRole('connectionLimit');
        oldest.lease?.release();
        taken = await leases!.acquire(request);
      }
    }
    if (!isDenied(taken)) return taken;
    const wait = Math.min(slotFreesIn(key) ?? taken.retryAfterMs, taken.retryAfterMs);
    const headers = { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) };
    return wsRoleError(catalog, 'connectionLimit', undefined, { headers });
  }

  /**
   * Milliseconds until a connection of `key` on this instance ends by itself: the soonest deadline (idle,
   * duration); two heartbeats when none has one, the time a dead peer takes to be dropped. Undefined when
   * no holder is here (another instance holds the slots): the lease's expiry is then all there is to
   * tell. Live holders renew their leases, so the lease alone says nothing about when a slot frees.
   */
  function slotFreesIn(key: string): number | undefined {
    let soonest: number | undefined;
    let held = false;
    for (const conn of connections) {
      if (conn.key !== key || conn.closing) continue;
      held = true;
      const end = conn.endsAt();
      if (end !== undefined && (soonest === undefined || end < soonest)) soonest = end;
    }
    if (soonest !== undefined) return soonest - Date.now();
    // Without heartbeats, nothing but the lease bounds a holder: the caller takes the lease's answer.
    return held && heartbeat !== undefined ? 2 * heartbeat : undefined;
  }

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Another protocol (h2c) is not this endpoint's: the request is served as if it asked for no upgrade.
    if (
      !asksForWebSocket(request) &&
      passOn(request, socket, head, (refusal) => answer(socket, request, refusal))
    )
      return;
    socket.on('error', () => {});
    // Over HTTP in every mode, before authenticate: accepting would open the socket to the foreign page.
    if (originAllowed && !originAllowed(request)) {
      answer(socket, request, catalog.builtin('forbidden'));
      return;
    }
    const view = requestViewOf(request, trust);
    const closeMode =
      handshakeMode === 'close' || (handshakeMode === 'auto' && request.headers.origin !== undefined);
    let admission: Admission<C>;
    let refusal: unknown;
    try {
      admission = await admit(request, view);
    } catch (thrown) {
      if (!closeMode) {
        answer(socket, request, thrown);
        return;
      }
      refusal = thrown;
      admission = {};
    }
    // Without a session, the client address as byIp keys it: an IPv6 client's /64, not each address in it.
    const key = admission.key ?? (view.ip === undefined ? 'unknown' : ipPrefix(view.ip));
    const id = `${idPrefix}-${(nextId++).toString(36)}`;
    const guardRequest = connectionRequest(view, key);
    let lease: Lease | undefined;
    if (leases && refusal === undefined) {
      let taken: Lease | undefined | ApiError;
      try {
        taken = await acquire(guardRequest, key);
      } catch (thrown) {
        answer(socket, request, thrown);
        return;
      }
      // Connection limits are refused over HTTP in every mode: accepting to refuse defeats the limit.
      if (taken instanceof Error) {
        answer(socket, request, taken);
        return;
      }
      lease = taken;
    }
    if (socket.destroyed) {
      lease?.release();
      return;
    }
    // A close that began while authenticate or the lease ran: no socket opens on an endpoint going away.
    if (shuttingDown && refusal === undefined) {
      lease?.release();
      answer(socket, request, wsRoleError(catalog, 'goingAway'));
      return;
    }
    // ws destroys a socket it cannot upgrade (half-closed by the peer) without calling back: its lease
    // goes back when the socket closes before it is a connection, or renewals would hold it for ever.
    let upgraded = false;
    const held = lease;
    if (held) socket.once('close', () => upgraded || held.release());
    // The id HTTP would answer this request with: on the 101, on every event and close of the connection.
    const correlationId = handler.correlationId(view);
    correlationOf.set(request, correlationId);
    try {
      wss.handleUpgrade(request, socket, head, (ws) => {
        upgraded = true;
        ws.on('error', () => {});
        const conn = new Connection<C>(
          id,
          key,
          admission.context as C,
          correlationId,
          view,
          ws,
          state,
          guardRequest,
        );
        conn.lease = lease;
        connections.add(conn);
        ws.on('pong', () => {
          conn.awaitingPong = false;
        });
        ws.on('message', (data, isBinary) => conn.receive(data, isBinary));
        ws.on('close', () => {
          conn.dispose();
          connections.delete(conn);
          lease?.release();
        });
        if (refusal !== undefined) {
          conn.fail(refusal);
          letGo(ws);
          return;
        }
        // A close that began during the handshake: the connection it let through goes away as the others
        // did, and is let go of as a refused one is, since close() no longer waits for it.
        if (shuttingDown) {
          conn.failRole(closingRole);
          letGo(ws);
          return;
        }
        try {
          // An async hook's rejection fails the connection as a throw does.
          asPromise(options.onConnection?.(conn as WsConnection<C>))?.then(undefined, (thrown) =>
            conn.fail(thrown),
          );
        } catch (thrown) {
          conn.fail(thrown);
        }
      });
    } catch (thrown) {
      lease?.release();
      answer(socket, request, thrown);
    }
  }

  return {
    upgrade(request, socket, head) {
      upgrade(request, socket, head).catch(() => safeDestroy(socket));
    },
    upgradeRequired: () => wsRoleError(catalog, 'upgradeRequired'),
    connections: connections as ReadonlySet<WsConnection<C>>,
    server: wss,
    errors: handler,
    event: state.event,
    async close({ restart = false, timeout = 5_000 } = {}) {
      shuttingDown = true;
      closingRole = restart ? 'serviceRestart' : 'goingAway';
      if (timer) clearInterval(timer);
      const open = [...connections];
      const closed = Promise.all(
        open.map(
          (conn) =>
            new Promise<void>((resolve) => {
              if (conn.socket.readyState === conn.socket.CLOSED) resolve();
              else conn.socket.once('close', () => resolve());
            }),
        ),
      );
      for (const conn of open) conn.failRole(restart ? 'serviceRestart' : 'goingAway');
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (wait = setTimeout(resolve, timeout)))]);
      clearTimeout(wait);
      for (const conn of open) if (conn.socket.readyState !== conn.socket.CLOSED) safeTerminate(conn.socket);
      await closed;
    },
  };
}

function isDenied(taken: unknown): taken is { denied: ApiError | RoleError; retryAfterMs: number } {
  return typeof taken === 'object' && taken !== null && 'denied' in taken;
}

function safeDestroy(socket: Duplex): void {
  try {
    socket.destroy();
  } catch {}
}
