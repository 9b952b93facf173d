import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { defineErrors } from 'faultline';
import { idempotency } from 'faultline/guards';
import { memoryStore } from 'faultline/stores';
import { afterAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

// Attack: send an idempotent POST, hang up while its handler runs, retry at once. The IETF draft and
// Stripe promise the operation runs once: a retry while the first still runs is 409, and once the first
// finishes a retry replays its answer. A key freed on the hang-up would run the operation twice.
const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

/** Sends a POST and closes the socket once it is written, without reading any answer. */
function postAndHangUp(url: string, key: string, body: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST /orders HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nidempotency-key: "${key}"\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 100);
    });
    socket.on('error', reject);
  });
}

describe.each(adapters.map((a) => [a.name, a] as const))('%s', (_name, adapter) => {
  it('an operation whose caller hung up runs once: 409 while it runs, then its answer replayed', async () => {
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const server = await adapter.build({
      options: { catalog, logger: false },
      routes: [
        {
          method: 'POST',
          path: '/orders',
          json: true,
          guards: [idempotency({ store: memoryStore(), tenant: () => 'tenant', lockTtl: '1m' })],
          async handle() {
            runs++;
            started();
            await gate;
            return { status: 201, body: { order: runs } };
          },
        },
      ],
    });
    servers.push(server);
    const url = await listen(server);
    const key = randomUUID();
    const body = JSON.stringify({ item: 'book' });
    await postAndHangUp(url, key, body);
    await running;
    // Wait until the server has seen the hang-up (bounded), then retry while the first still runs.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const retry = () =>
      fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"` },
        body,
        // A retry the server admits runs into the held handler: bounded, it fails instead of hanging.
        signal: AbortSignal.timeout(5_000),
      });
    const during = await retry().catch((error: Error) => error);
    if (during instanceof Error) release();
    expect(during).not.toBeInstanceOf(Error);
    if (during instanceof Error) return;
    expect(during.status).toBe(409);
    await during.arrayBuffer();
    release();
    // Bounded: the first answer is stored once its handler ends.
    let after: Response | undefined;
    for (let i = 0; i < 50; i++) {
      after = await retry();
      if (after.status !== 409) break;
      await after.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(after!.status).toBe(201);
    expect(after!.headers.get('idempotent-replayed')).toBe('true');
    expect(await after!.json()).toEqual({ order: 1 });
    expect(runs).toBe(1);
  });
});
