/**
 * The chat over WebSocket (`/v1/chat?project=…&chat=…`, the API key in `x-api-key`): each `message` gets
 * the agent's reply; an error while handling one is an error event in the page's envelope and the
 * connection stays open; "goodbye" ends the chat with a normal closure (1000). A client that stops
 * answering pings is cut off (it observes 1006).
 */

import { checkMessage, type Guard } from 'faultline/guards';
import { type ErrorHandler, validate } from 'faultline/server';
import { createWsErrors, type WsErrors } from 'faultline/ws';
import * as z from 'zod';
import type { Auth } from './auth.js';
import { format } from './catalog.js';
import type { Platform } from './domain.js';

export interface ChatContext {
  readonly account: string;
  readonly project: string;
  readonly chat: string;
}

/** The handshake's query: the project and the chat it opens, both required. */
const chatQuery = z.object({ project: z.string().min(1), chat: z.string().min(1) });

export function chatSocket(
  platform: Platform,
  auth: Auth,
  handler: ErrorHandler,
  heartbeat: number,
  limiter: Guard,
): WsErrors<ChatContext> {
  return createWsErrors<ChatContext>({
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
      const project = platform.project(user.account, named.project);
      const chat = platform.openChat(project, named.chat);
      return { key: chat.id, context: { account: user.account, project: project.id, chat: chat.id } };
    },
    messages: {
      schemas: { message: z.object({ type: z.literal('message'), text: z.string().min(1).max(4000) }) },
    },
    on: {
      message: (message: { text: string }, conn) => {
        const { reply, ended } = platform.say(
          platform.project(conn.context.account, conn.context.project),
          conn.context.chat,
          message.text,
        );
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
}
