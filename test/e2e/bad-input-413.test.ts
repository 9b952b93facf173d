import type { Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

/** Every 413 is seen: POSTs over the 1 MiB limit of /echo, counted per adapter. */
const examples = Object.fromEntries(adapters.map((adapter) => [adapter.name, adapter.example]));
const servers = new Map<string, { server: Server; base: string }>();
const tries = 100;

beforeAll(async () => {
  for (const [name, create] of Object.entries(examples)) {
    const server = await create();
    servers.set(name, { server, base: await listen(server) });
  }
});
afterAll(async () => {
  for (const { server } of servers.values()) await close(server);
});

async function viaFetch(base: string, body: Uint8Array): Promise<boolean> {
  try {
    const response = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body as unknown as BodyInit,
      signal: AbortSignal.timeout(10_000),
    });
    const answer = (await response.json()) as { code?: string };
    return response.status === 413 && answer.code === 'BODY_TOO_LARGE';
  } catch {
    return false;
  }
}

/** A raw client writing its whole body at once with an honest Content-Length, then reading. */
function eagerWriter(base: string, body: Uint8Array): Promise<boolean> {
  const { port } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    const done = (seen: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(seen);
    };
    const timer = setTimeout(() => done(false), 10_000);
    socket.on('connect', () => {
      socket.write(
        `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      socket.write(body);
    });
    socket.on('data', (data) => {
      received += data.toString('latin1');
      if (received.includes('BODY_TOO_LARGE')) done(received.startsWith('HTTP/1.1 413'));
    });
    socket.on('error', () => {});
    socket.on('close', () =>
      done(received.startsWith('HTTP/1.1 413') && received.includes('BODY_TOO_LARGE')),
    );
  });
}

const twoMiB = new Uint8Array(2 * 1024 * 1024).fill(0x61);
const tenMB = new Uint8Array(10_000_000).fill(0x61);

describe.each(Object.keys(examples))('%s: every 413 reaches the client', (name) => {
  const base = () => servers.get(name)!.base;

  it(`fetch posting 2 MiB to a 1 MiB route sees the 413 in ${tries} of ${tries}`, async () => {
    let seen = 0;
    for (let i = 0; i < tries; i++) if (await viaFetch(base(), twoMiB)) seen++;
    expect(seen).toBe(tries);
  }, 120_000);

  it(`fetch posting 10 MB sees the 413 in ${tries} of ${tries}`, async () => {
    let seen = 0;
    for (let i = 0; i < tries; i++) if (await viaFetch(base(), tenMB)) seen++;
    expect(seen).toBe(tries);
  }, 180_000);

  it('a raw socket writing 10 MB eagerly sees the 413 in at least 95 of 100', async () => {
    let seen = 0;
    for (let i = 0; i < tries; i++) if (await eagerWriter(base(), tenMB)) seen++;
    expect(seen).toBeGreaterThanOrEqual(95);
  }, 180_000);

  it('cuts off a client that keeps sending past the linger bounds, and keeps serving', async () => {
    const { port } = new URL(base());
    const cut = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(false);
      }, 20_000);
      const chunk = new Uint8Array(1024 * 1024).fill(0x61);
      let sent = 0;
      const pump = () => {
        // 64 MiB announced and sent as fast as the server reads: past the 16 MiB linger bound.
        while (sent < 64 && socket.write(chunk)) sent++;
        if (sent < 64) socket.once('drain', pump);
      };
      socket.on('connect', () => {
        socket.write(
          `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`,
        );
        pump();
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(sent < 64);
      });
    });
    expect(cut).toBe(true);
    expect((await fetch(`${base()}/limited`)).status).toBe(429);
  }, 30_000);
});
