/**
 * The WebSocket endpoint against what an app hands it and what a client does around it: async hooks that
 * reject, promises of another realm, a shutdown that races a handshake, refusals of exempt message types,
 * and origins written in forms a browser never sends. One client must never crash the process, open a
 * socket on a server that is closing, or get more error events than the budget allows.
 */
import { runInNewContext } from 'node:vm';
import { defineErrors, wsDefinitions } from 'faultline';
import type { WsErrorsOptions } from 'faultline/ws';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { rawUpgrade, type Served, serve, watch } from '../e2e/ws-helpers.js';
import { watchCrashes } from '../helpers/crashes.js';
import { rawConnect } from '../helpers/ws-raw.js';

const catalog = defineErrors({ ...wsDefinitions });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const crashes = watchCrashes();

const served: Served<any>[] = [];
afterEach(async () => {
  for (const one of served.splice(0)) await one.close();
  // An unhandled rejection is reported on a later turn of the loop.
  await sleep(50);
  expect(crashes.splice(0)).toEqual([]);
});

async function endpoint(options: Omit<WsErrorsOptions<any>, 'errors'>): Promise<Served<any>> {
  const one = await serve({ errors: { catalog, logger: false }, ...options });
  served.push(one);
  return one;
}

/** A promise of another realm (a `node:vm` context): a thenable, but no `Promise` of this one. */
const foreign = <T>(settle: 'resolve' | 'reject', value: T): Promise<T> =>
  runInNewContext(`Promise.${settle}(value)`, { value }) as Promise<T>;

describe('hooks the app passes', () => {
  it.each(['onError', 'onDrop'] as const)('survives an async %s that rejects', async (hook) => {
    const rejecting = async () => {
      throw new Error(`${hook} sink down`);
    };
    const one = await endpoint({
      [hook]: rejecting,
      limits: hook === 'onDrop' ? { rate: { limit: 1, window: 60_000, over: 'drop' } } : {},
      on: { ping: () => undefined },
    });
    const client = watch(one.url);
    await client.opened;
    if (hook === 'onError') {
      client.socket.send('{not json');
      expect(await client.next()).toMatchObject({ error: { code: 'MESSAGE_MALFORMED' } });
    } else {
      for (let i = 0; i < 3; i++) client.socket.send('{"type":"ping"}');
    }
    await sleep(100);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    client.socket.close();
  });

  it('fails the connection, without a crash, when an async onConnection rejects', async () => {
    const one = await endpoint({
      onConnection: async () => {
        await sleep(10);
        throw new Error('backlog store down');
      },
    });
    const client = watch(one.url);
    await client.opened;
    expect(await client.next()).toMatchObject({ error: { code: 'INTERNAL_ERROR' } });
    expect((await client.closed).code).toBe(1011);
  });

  it('answers a handler’s rejected promise of another realm with an error event', async () => {
    const one = await endpoint({ on: { save: () => foreign('reject', new Error('db down')) } });
    const client = watch(one.url);
    await client.opened;
    client.socket.send('{"type":"save"}');
    expect(await client.next()).toMatchObject({ error: { code: 'INTERNAL_ERROR' } });
    client.socket.close();
  });

  it('refuses a message whose schema answers issues through a promise of another realm', async () => {
    let ran = 0;
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'other-realm',
        validate: () => foreign('resolve', { issues: [{ message: 'bad', path: ['x'] }] as const }),
      },
    };
    const one = await endpoint({
      messages: { schemas: { save: schema } },
      on: {
        save: () => {
          ran++;
        },
      },
    });
    const client = watch(one.url);
    await client.opened;
    client.socket.send('{"type":"save","x":1}');
    expect(await client.next()).toMatchObject({ error: { code: 'MESSAGE_INVALID' } });
    expect(ran).toBe(0);
    client.socket.send('{"type":"save","x":2}');
    expect(await client.next()).toMatchObject({ error: { code: 'MESSAGE_INVALID' } });
    client.socket.close();
  });

  it('answers a schema whose promise of another realm rejects with an error event', async () => {
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'other-realm',
        validate: () => foreign<{ value: unknown }>('reject', new Error('validator crashed') as never),
      },
    };
    const one = await endpoint({ messages: { schemas: { save: schema } }, on: { save: () => undefined } });
    const client = watch(one.url);
    await client.opened;
    client.socket.send('{"type":"save"}');
    expect(await client.next()).toMatchObject({ error: { code: 'INTERNAL_ERROR' } });
    client.socket.close();
  });
});

describe('a shutdown that races a handshake', () => {
  it('opens no socket whose authenticate was still running when close() began', async () => {
    let release: () => void = () => {};
    const parked = new Promise<void>((resolve) => (release = resolve));
    const one = await endpoint({
      authenticate: async () => {
        await parked;
        return { key: 'k' };
      },
      limits: { connections: { max: 5 } },
    });
    const late = watch(one.url);
    late.opened.catch(() => {});
    await sleep(100);
    const closing = one.endpoint.close({ timeout: 200 });
    release();
    await closing;
    const outcome = await Promise.race([
      late.opened.then(
        () => 'opened',
        () => 'refused',
      ),
      sleep(2000).then(() => 'pending'),
    ]);
    if (outcome === 'opened') expect((await late.closed).code).toBe(1001);
    else expect(outcome).toBe('refused');
    expect(one.endpoint.server.clients.size).toBe(0);
  });
});

describe('error events for exempt message types', () => {
  it('are held to the error budget when the rate does not count them', async () => {
    const one = await endpoint({
      messages: { schemas: { heartbeat: z.object({ at: z.number() }) } },
      on: { heartbeat: () => undefined },
      limits: { rate: { limit: 100, window: 1000, exempt: ['heartbeat'] } },
    });
    const client = watch(one.url);
    await client.opened;
    for (let i = 0; i < 500; i++) client.socket.send('{"type":"heartbeat","at":"x"}');
    await sleep(500);
    // The budget's burst (20) and its refill (10 a second) while they arrive: never one per message.
    expect(client.messages.length).toBeGreaterThan(0);
    expect(client.messages.length).toBeLessThanOrEqual(50);
    client.socket.terminate();
  });
});

describe('origins', () => {
  it.each([
    'https://app.example.com/x',
    'https://evil@app.example.com',
    'https://app.example.com\\@evil.com',
    'HTTPS://APP.EXAMPLE.COM:443',
  ])('refuses %j, a form no browser sends for the allowed origin', async (origin) => {
    const one = await endpoint({ origins: ['https://app.example.com'] });
    const head = [
      'GET / HTTP/1.1',
      'Host: 127.0.0.1',
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      `Origin: ${origin}`,
      '',
      '',
    ].join('\r\n');
    expect((await rawUpgrade(one.port, head)).split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
  });

  it('accepts the origin as browsers write it', async () => {
    const one = await endpoint({ origins: ['https://app.example.com'] });
    const client = watch(one.url, { headers: { origin: 'https://app.example.com' } });
    await client.opened;
    client.socket.close();
  });
});

describe('a handshake refused over the socket (handshake: close)', () => {
  it('lets go of a peer that never answers the close frame, long before ws’s 30 s close timeout', async () => {
    const one = await endpoint({
      handshake: 'close',
      authenticate: () => {
        throw catalog.create('UNAUTHORIZED');
      },
    });
    const client = await rawConnect(one.port);
    const outcome = await Promise.race([client.ended.then(() => 'let go'), sleep(10_000).then(() => 'held')]);
    expect(client.seen.closeCodes).toEqual([4401]);
    expect(outcome).toBe('let go');
  }, 15_000);
});
