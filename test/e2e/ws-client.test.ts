import { defineErrors, wsDefinitions } from 'faultline';
import { connectSocket, type WebSocketConstructor } from 'faultline/client';
import { envelope, field } from 'faultline/format';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import { authenticate, catalog } from './ws-fixtures.js';
import { type Served, serve } from './ws-helpers.js';

const opened: Served<any>[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
async function endpoint(options: Parameters<typeof serve>[0] = {}) {
  const served = await serve({ errors: { catalog, logger: false }, authenticate, ...options });
  opened.push(served);
  return served;
}
const Ws = WebSocket as unknown as WebSocketConstructor;

describe('connectSocket', () => {
  it('turns error events into typed ApiErrors with replyTo, and a close into an error and a decision', async () => {
    const { url } = await endpoint({
      on: {
        bad: () => {
          throw catalog.create('AGENT_BUSY');
        },
        end: () => {
          throw catalog.create('SESSION_ENDED');
        },
      },
    });
    const socket = connectSocket(`${url}/?session_id=s&access_token=good`, { WebSocket: Ws, catalog });
    const errors: any[] = [];
    socket.on('error', (e) => errors.push(e));
    await new Promise<void>((r) => socket.on('open', r));
    socket.send({ type: 'bad', id: 'c9' });
    socket.send({ type: 'end' });
    const [error, decision, info] = await new Promise<any[]>((r) => socket.on('close', (...a) => r(a)));
    expect(errors[0]).toMatchObject({ code: 'AGENT_BUSY', status: 503, retryable: true });
    expect(errors[0].replyTo).toBe('c9');
    expect(error.code).toBe('SESSION_ENDED');
    expect(decision).toBe('never');
    expect(info.code).toBe(4410);
    expect(socket.state).toBe('closed');
  });

  it('maps message-only events back to their codes, interpolated messages through the templates', async () => {
    const messages = defineErrors({
      ...wsDefinitions,
      INVALID_EVENT: {
        status: 400,
        message: 'Unknown event type or invalid message format',
        roles: ['messageMalformed', 'messageTypeUnknown'],
      },
      EVENT_TYPE_NOT_ALLOWED: {
        status: 400,
        message: 'Event type not allowed: {eventType}',
        details: z.object({ eventType: z.string() }),
        roles: ['messageTypeNotAllowed'],
      },
      ROOM_FULL: {
        status: 409,
        message: 'Room {room} is full ({count} of {count} seats)',
        details: z.object({ room: z.string(), count: z.number() }),
      },
      ROOM_GONE: { status: 410, message: 'Room {room} is gone', details: z.object({ room: z.string() }) },
    });
    const systemMessage = envelope({
      type: 'EVENT_TYPE_SYSTEM_MESSAGE',
      level: 'SYSTEM_MESSAGE_LEVEL_ERROR',
      message: field.message,
    });
    const { url } = await endpoint({
      errors: { catalog: messages, logger: false },
      event: systemMessage,
      messages: { serverOnly: ['EVENT_TYPE_SESSION_END'] },
      on: {
        full: () => {
          throw messages.create('ROOM_FULL', { room: 'a b.c', count: 3 });
        },
      },
    });
    const socket = connectSocket(`${url}/?session_id=s&access_token=good`, {
      WebSocket: Ws,
      catalog: messages,
      event: systemMessage,
    });
    const errors: any[] = [];
    const texts: unknown[] = [];
    socket.on('message', (m) => texts.push(m));
    await new Promise<void>((r) => socket.on('open', r));
    const three = new Promise<void>((resolve) =>
      socket.on('error', (e) => {
        errors.push(e);
        if (errors.length === 3) resolve();
      }),
    );
    socket.send({ type: 'EVENT_TYPE_SESSION_END' });
    socket.send('{not json');
    socket.send({ type: 'full' });
    await three;
    expect(errors.map((e) => [e.code, e.status, e.details])).toEqual([
      ['EVENT_TYPE_NOT_ALLOWED', 400, { eventType: 'EVENT_TYPE_SESSION_END' }],
      ['INVALID_EVENT', 400, undefined],
      ['ROOM_FULL', 409, { room: 'a b.c', count: '3' }],
    ]);
    expect(errors[0].message).toBe('Event type not allowed: EVENT_TYPE_SESSION_END');
    expect(texts).toEqual([]);
    socket.close();
    expect(messages.match('Room x is gone')).toMatchObject({ entry: { code: 'ROOM_GONE' } });
    expect(messages.match('Room  is gone')).toBeUndefined();
    expect(messages.match('Something else')).toBeUndefined();
  });

  it('parses a refused handshake like a REST error and stops on a 404', async () => {
    const { url } = await endpoint();
    const socket = connectSocket(`${url}/?session_id=missing&access_token=good`, { WebSocket: Ws, catalog });
    const refused = new Promise<any>((r) => socket.on('error', r));
    const closed = new Promise<any[]>((r) => socket.on('close', (...a) => r(a)));
    const error = await refused;
    expect(error).toMatchObject({ code: 'SESSION_NOT_FOUND', status: 404 });
    expect(error.correlationId).toBeTruthy();
    const [, decision] = await closed;
    expect(decision).toBe('never');
  });

  it('calls the refresh hook once after an afterAuth refusal, then gives up', async () => {
    const { url } = await endpoint();
    let refreshes = 0;
    const socket = connectSocket(`${url}/?session_id=s&access_token=bad`, {
      WebSocket: Ws,
      catalog,
      refresh: () => {
        refreshes++;
      },
      reconnect: { base: 10 },
    });
    const decisions: string[] = [];
    await new Promise<void>((resolve) =>
      socket.on('close', (_e, d) => {
        decisions.push(d);
        if (d === 'never') resolve();
      }),
    );
    expect(refreshes).toBe(1);
    expect(decisions).toEqual(['afterAuth', 'never']);
  });

  it('backs off with full jitter, resumes with a cursor, and caps attempts that never open', async () => {
    const { url, port } = await endpoint();
    await opened.pop()!.close(); // nothing listens any more: every attempt fails before open
    const delays: number[] = [];
    const draws = [0.999, 0.5, 0.999, 0.999];
    let i = 0;
    const socket = connectSocket(`ws://127.0.0.1:${port}/`, {
      WebSocket: Ws,
      reconnect: { base: 10, cap: 40, maxNeverOpened: 4, random: () => draws[i++ % draws.length]! },
    });
    socket.on('reconnect', (d) => delays.push(d));
    const [, decision] = await new Promise<any[]>((resolve) =>
      socket.on('close', (...a) => {
        if (a[1] === 'never') resolve(a);
      }),
    );
    expect(decision).toBe('never');
    expect(delays).toEqual([9, 10, 39]);
    void url;
  });

  it('spreads the reconnects of 200 clients after a shutdown (no synchronized storm)', async () => {
    const served = await endpoint();
    const clients = Array.from({ length: 200 }, (_, n) =>
      connectSocket(`${served.url}/?session_id=s${n}&access_token=good`, {
        WebSocket: Ws,
        catalog,
        reconnect: { base: 1000 },
      }),
    );
    await Promise.all(clients.map((c) => new Promise<void>((r) => c.on('open', r))));
    const delays: number[] = [];
    const scheduled = Promise.all(
      clients.map(
        (c) =>
          new Promise<void>((r) =>
            c.on('reconnect', (d) => {
              delays.push(d);
              r();
            }),
          ),
      ),
    );
    await served.endpoint.close({ timeout: 1000 });
    await scheduled;
    for (const c of clients) c.close();
    expect(delays).toHaveLength(200);
    const buckets = Array.from(
      { length: 10 },
      (_, b) => delays.filter((d) => Math.floor(d / 100) === b).length,
    );
    expect(Math.max(...buckets)).toBeLessThan(60);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });
});
