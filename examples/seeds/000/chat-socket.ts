/**
 * The chat over WebSocket (`/v1/chat?project=…&chat=…`, the API key in `x-api-key`): each `message` gets
 * the agent's reply; an error while handling one is an error event in the page's envelope and the
 * connection stays open; "goodbye" ends the chat with a normal closure (1000). A client that stops
 * answering pings is cut off (it observes 1006). A credential that stops signing in (a key revoked, a token
 * expired, a user removed) or a chat that times out ends the socket at its next message or heartbeat, with
 * the error's event and close code; an account holds at most `socketsPerAccount` sockets at once.
 */

import { checkMessage, type Guard } from 'faultline/guards';
import { type ErrorHandler, validate } from 'faultline/server';
import { createWsErrors, type WsConnection, type WsErrors } from 'faultline/ws';
import * as z from 'zod';
import type { Auth } from './auth.js';
import { errors, format } from './catalog.js';
import type { Platform } from './domain.js';

export interface ChatContext {
  readonly account: string;
  readonly project: string;
  readonly chat: string;
}

/** The handshake's query: the project and the chat it opens, both required. */
const chatQuery = z.object({ project: z.string().min(1), chat: z.string().min(1) });

/** The chat sockets one account may hold open at once, over all its chats. @default 50 */
export const defaultSocketsPerAccount = 50;

export function chatSocket(
  platform: Platform,
  auth: Auth,
  handler: ErrorHandler,
  heartbeat: number,
  limiter: Guard,
  socketsPerAccount = defaultSocketsPerAccount,
): WsErrors<ChatContext> {
  // Open sockets per account on this instance: the per-chat limit alone let one key hold sockets on as many
  // chats as it could open.
  const open = new Map<string, number>();
  const tooMany = () => errors.builtin('rateLimited', undefined, { headers: { 'retry-after': '60' } });
  /** The handshake's credential, checked again: a key revoked, a token expired or a user removed since. */
  const stillSignedIn = (conn: WsConnection<ChatContext>) => {
    const user = auth.authenticate({ headers: conn.request.headers as Record<string, string> });
    auth.authorize(user, 'write');
  };
  const projectOf = (conn: WsConnection<ChatContext>) =>
    platform.project(conn.context.account, conn.context.project);
  const endpoint = createWsErrors<ChatContext>({
    errors: handler,
    event: format,
    path: '/v1/chat',
    async authenticate(request, raw) {
      // The handshake spends from the same per-address and per-caller budgets as HTTP requests.
      const verdict = await checkMessage([limiter], { ...request, ip: raw.socket.remoteAddress });
      if (!verdict.allowed) throw verdict.error;
      const user = auth.authenticate({ headers: (request.headers ?? {}) as Record<string, string> });
      auth.authorize(user, 'write');
      const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
      // A missing parameter is the page's 400 for query parameters, not a 404 for an id never named; so is
      // one given twice, whose values the schema sees as the list they are rather than the first alone.
      const param = (name: string) => {
        const values = query.getAll(name);
        return values.length > 1 ? values : values[0];
      };
      const named = await validate(chatQuery, { project: param('project'), chat: param('chat') });
      if ((open.get(user.account) ?? 0) >= socketsPerAccount) throw tooMany();
      const project = platform.project(user.account, named.project);
      const chat = platform.openChat(project, named.chat);
      return { key: chat.id, context: { account: user.account, project: project.id, chat: chat.id } };
    },
    messages: {
      schemas: { message: z.object({ type: z.literal('message'), text: z.string().min(1).max(4000) }) },
    },
    onConnection(conn) {
      const { account } = conn.context;
      const count = (open.get(account) ?? 0) + 1;
      open.set(account, count);
      conn.socket.once('close', () => {
        const left = (open.get(account) ?? 1) - 1;
        if (left === 0) open.delete(account);
        else open.set(account, left);
      });
      // Two handshakes of one account that passed the check together: the one past the bound ends here.
      if (count > socketsPerAccount) conn.fail(tooMany());
    },
    on: {
      message: (message: { text: string }, conn) => {
        let said: ReturnType<Platform['say']>;
        try {
          // What the handshake checked holds for every message: a credential that no longer signs in ends
          // the socket, as it ends HTTP access, and so does a chat that ended or timed out meanwhile (`say`
          // refuses it).
          stillSignedIn(conn);
          said = platform.say(projectOf(conn), conn.context.chat, message.text);
        } catch (error) {
          conn.fail(error);
          return;
        }
        const { reply, ended } = said;
        conn.send({ type: 'reply', text: reply });
        if (ended) conn.close(1000, 'conversation ended');
      },
    },
    // The rate of the HTTP chat route (600 a minute), per chat: the socket is no way around it. The first
    // message over it gets the page's 429 as an error event; the rest of that wait are dropped, and a
    // socket whose messages over it come to 100 more than those within it is closed (4429), so that a
    // flood is not read for as long as its sender keeps it up.
    limits: {
      heartbeat,
      connections: { max: 5 },
      rate: { limit: 10, window: 1000, over: 'event', closeAfter: 100 },
    },
  });
  // A socket that sends nothing is checked too, at each heartbeat: a removed user's idle sockets would
  // otherwise stay open for as long as their client answers pings, and hold the account's places.
  const sweep = setInterval(() => {
    for (const conn of endpoint.connections) {
      try {
        stillSignedIn(conn);
        platform.openChat(projectOf(conn), conn.context.chat);
      } catch (error) {
        conn.fail(error);
      }
    }
  }, heartbeat);
  sweep.unref();
  endpoint.server.once('close', () => clearInterval(sweep));
  return endpoint;
}
