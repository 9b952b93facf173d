import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import { defineErrors } from 'faultline';
import type { KoaErrors } from 'faultline/koa';
import type { Hono } from 'hono';
import type Koa from 'koa';
import { expect } from 'vitest';
import { close, listen } from '../helpers/http.js';

// What the Koa and Hono outsider tests share: real servers on 127.0.0.1 and a client that tells an
// answer from a cut connection and from a hang.
export const catalog = defineErrors({});
const leaks = /\bat .+:\d+:\d+|\/work\/|node_modules|TypeError|RangeError/;
export type Answer = { status: number; headers: Record<string, unknown>; body: string };
export type Outcome = Answer | 'cut' | 'hang';
export interface Send {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Hang up at the first byte of the answer. */
  firstByte?: boolean;
}

/** One request on its own connection, bounded by 3 s: the answer, 'cut' if the connection died, or 'hang'. */
export function send(base: string, path: string, init: Send = {}): Promise<Outcome> {
  const { port } = new URL(base);
  return new Promise((resolve) => {
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const options = { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers };
    const req = httpRequest({ ...options, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const answer = () => ({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: `${Buffer.concat(chunks)}`,
      });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (init.firstByte) done(answer());
      });
      res.on('end', () => done(answer()));
      res.on('error', () => done('cut'));
    });
    const timer = setTimeout(() => done('hang'), 3000);
    req.on('error', () => done('cut'));
    req.end(init.body);
  });
}

/** The catalog problem of an answer: its status, type and fields checked, no leak on the wire. */
export function problem(outcome: Outcome, status: number): Record<string, unknown> {
  expect(outcome).not.toBe('hang');
  expect(outcome).not.toBe('cut');
  const answer = outcome as Answer;
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.body).not.toMatch(leaks);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(body.status).toBe(status);
  return body;
}

const servers: Server[] = [];
export async function onKoa(app: Koa, errors: Pick<KoaErrors, 'clientError'>): Promise<string> {
  const server = createServer(app.callback()).on('clientError', errors.clientError);
  servers.push(server);
  return listen(server);
}
export async function onHono(app: Hono): Promise<string> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
/** Closes every server `onKoa` and `onHono` started (a test file's `afterAll`). */
export async function closeAll(): Promise<void> {
  for (const server of servers.splice(0)) await close(server);
}

/** A Node stream that pushes `chunks` pieces, then fails (or ends when `fail` is false). */
export function pieces(chunks: number, fail = true): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent++ < chunks) this.push('chunk ');
      else if (fail) this.destroy(new Error('ENOENT /srv/secret'));
      else this.push(null);
    },
  });
}

/** Sends the same keyed POST twice: a failed first answer must run again, never be replayed cut short. */
export async function keyedTwice(base: string, path: string, key: string): Promise<[Outcome, Outcome]> {
  const init = { method: 'POST', headers: { 'idempotency-key': key } };
  const first = await send(base, path, init);
  let again: Outcome = 'hang';
  for (let i = 0; i < 20; i++) {
    again = await send(base, path, init);
    if (typeof again === 'string' || again.status !== 409) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [first, again];
}
