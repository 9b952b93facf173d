/**
 * Overload: 1 000 concurrent connections with slow bodies on each adapter, its app in a child process.
 * Stalled bodies get 408 once the read timeout (1 s idle) passes, bodies declared over the 1 MiB limit
 * get 413 at once, trickling bodies do not hold anyone else up; valid requests are answered meanwhile and
 * the process survives.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { adapters } from './fixtures/apps.js';
import { type Child, serveScript, startChild } from './fixtures/child.js';

const stalled = 600;
const oversized = 300;
const trickling = 100;

/** Opens a raw connection, sends `head` and `start`, and resolves the status it is answered (0: none). */
function slowRequest(
  port: number,
  declared: number,
  start: string,
  trickle: boolean,
): { done: Promise<number>; socket: Socket } {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let raw = '';
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<number>((resolve) => {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      raw += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0));
    });
  });
  socket.write(
    `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${declared}\r\n\r\n${start}`,
  );
  if (trickle) timer = setInterval(() => socket.write(' '), 200);
  return { done, socket };
}

const children: Child[] = [];
afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
});

describe.each(adapters)('1 000 slow connections on the %s adapter', (adapter) => {
  it('answers 408 to stalled bodies, 413 to oversized ones, keeps serving, and survives', {
    timeout: 90_000,
  }, async () => {
    const child = await startChild(serveScript, [adapter]);
    children.push(child);
    const port = Number(new URL(child.url).port);
    const opened: { done: Promise<number>; socket: Socket }[] = [];
    const stalls = Array.from({ length: stalled }, () => slowRequest(port, 100, '{"a":', false));
    const overs = Array.from({ length: oversized }, () =>
      slowRequest(port, 2 * 1024 * 1024, '{"a":"', false),
    );
    const trickles = Array.from({ length: trickling }, () => slowRequest(port, 100_000, '{"a":"', true));
    opened.push(...stalls, ...overs, ...trickles);

    // Valid requests are answered while the thousand connections are open.
    for (let i = 0; i < 20; i++) {
      const health = await fetch(`${child.url}/health`);
      expect(health.status).toBe(200);
      await health.text();
      const echo = await fetch(`${child.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ i }),
      });
      expect(echo.status).toBe(200);
      expect(await echo.json()).toEqual({ i });
    }

    const overStatuses = await Promise.all(overs.map((o) => o.done));
    expect(overStatuses.filter((s) => s === 413).length).toBe(oversized);
    const stallStatuses = await Promise.all(stalls.map((o) => o.done));
    expect(stallStatuses.filter((s) => s === 408).length).toBe(stalled);
    for (const t of trickles) t.socket.destroy();
    await Promise.all(trickles.map((t) => t.done));

    expect(child.alive()).toBe(true);
    expect((await fetch(`${child.url}/health`)).status).toBe(200);
    for (const o of opened) o.socket.destroy();
  });
});
