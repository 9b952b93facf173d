/**
 * A client that hangs up does not stop the handler it started. A concurrency guard whose lease was given
 * back at the hang-up let a caller run as many handlers at once as it opened and closed connections: eight
 * callers each hanging up after their request reached the handler ran eight handlers under a limit of two.
 * The lease is now held until the app is done with the request, on every adapter.
 */
import type { AddressInfo } from 'node:net';
import { defineErrors } from 'faultline';
import { concurrency } from 'faultline/guards';
import { memoryStore } from 'faultline/stores';
import { afterAll, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close } from '../helpers/http.js';
import { rawClient, until } from '../helpers/raw.js';

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

it.each(adapters.map((adapter) => [adapter.name, adapter] as const))(
  'holds the slot of a caller that hung up until its handler ends, on %s',
  async (_name, adapter) => {
    let running = 0;
    let most = 0;
    let started = 0;
    const release: (() => void)[] = [];
    const server = await adapter.build({
      options: { catalog: defineErrors({}), onError: false },
      routes: [
        {
          method: 'GET',
          path: '/slow',
          guards: [concurrency({ key: () => 'one-caller', limit: 2, ttl: '1m', store: memoryStore() })],
          handle: async () => {
            running++;
            started++;
            most = Math.max(most, running);
            // Each handler runs until the test lets it go, long after its caller hung up.
            await new Promise<void>((resolve) => release.push(resolve));
            running--;
            return { body: { done: true } };
          },
        },
      ],
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stops.push(() => close(server));
    const port = (server.address() as AddressInfo).port;
    // Callers one after another: each hangs up once its request reached the handler, or was refused.
    const refused: string[] = [];
    for (let i = 0; i < 8; i++) {
      const client = await rawClient(port);
      const before = started;
      client.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
      await until(() => started > before || client.received().includes('HTTP/1.1 429') || client.closed());
      if (client.received().includes('HTTP/1.1 429')) refused.push('429');
      client.socket.destroy();
      await until(() => client.closed());
    }
    // Before: 8 handlers at once, every caller admitted.
    expect(most).toBe(2);
    expect(started).toBe(2);
    expect(refused).toHaveLength(6);
    // Once the handlers end, the slots are free again.
    for (const resolve of release.splice(0)) resolve();
    await until(() => running === 0);
    const client = await rawClient(port);
    client.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await until(() => started === 3);
    expect(started).toBe(3);
    for (const resolve of release.splice(0)) resolve();
    await until(() => client.closed());
    client.socket.destroy();
  },
);
