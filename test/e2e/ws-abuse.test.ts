import { connect } from 'node:net';
import fc from 'fast-check';
import { ApiError } from 'faultline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, catalog } from './ws-fixtures.js';
import { type Served, serve, upgradeHead, watch } from './ws-helpers.js';

// A masked client frame: opcode, payload, and the flags a broken peer might set.
function frame(opcode: number, payload: Buffer, { fin = true, rsv = 0, mask = true } = {}): Buffer {
  const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode) & 0xff];
  const len = payload.length;
  if (len < 126) head.push((mask ? 0x80 : 0) | len);
  else head.push((mask ? 0x80 : 0) | 126, len >> 8, len & 0xff);
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = Buffer.from([1, 2, 3, 4]);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Upgrades a raw socket, sends frames, and returns the close code the server answered with (or 1006). */
function abuse(port: number, frames: Buffer[]): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let upgraded = false;
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('error', () => {});
    socket.on('data', (data) => {
      buffer = Buffer.concat([buffer, data]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        for (const f of frames) socket.write(f);
      }
      // The first server close frame: opcode 8, unmasked, 2-byte code.
      const at = buffer.findIndex((b, i) => (b & 0x0f) === 8 && (b & 0x80) !== 0 && i + 3 < buffer.length);
      if (at !== -1 && buffer.length >= at + 4) {
        clearTimeout(timer);
        socket.destroy();
        resolve(buffer.readUInt16BE(at + 2));
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(1006);
    });
    socket.write(upgradeHead('/?session_id=abuse&access_token=good'));
  });
}

let served: Served<any>;
const uncaught: unknown[] = [];
const spy = (e: unknown) => uncaught.push(e);
beforeAll(async () => {
  process.on('uncaughtException', spy);
  served = await serve({
    errors: { catalog, logger: false },
    authenticate,
    // Every thrown value gets its event: the budget of error events is off by choice.
    limits: { heartbeat: false, errorEvents: 'off' },
    on: {
      throw: (m: { n: number }) => {
        throw values[m.n];
      },
    },
  });
});
afterAll(async () => {
  await served.close();
  process.off('uncaughtException', spy);
});

const secret = 'sk_live_SECRET_4242';
// 10 000 thrown values: errors with secrets, strings, objects with hostile getters, nulls, symbols, numbers.
const values: unknown[] = fc.sample(
  fc.oneof(
    fc.string().map((s) => new Error(`${secret} ${s}`)),
    fc.string().map((s) => `${secret}${s}`),
    fc.anything().map((a) => ({ message: secret, status: 400, detail: a })),
    fc.constant(null),
    fc.constant(undefined),
    fc.integer(),
    fc.constant(
      Object.defineProperty({}, 'message', {
        get: () => {
          throw new Error(secret);
        },
      }),
    ),
    fc.constant(new ApiError({ code: 'NOT_IN_CATALOG', status: 418, message: 'public text' })),
    fc.constant(catalog.create('AGENT_BUSY', undefined, { cause: new Error(secret) })),
  ),
  { numRuns: 10_000, seed: 42 },
);

describe('protocol abuse from raw sockets', () => {
  it.each([
    ['an invalid close code (408)', [frame(8, Buffer.from([0x01, 0x98]))], 1002],
    ['an unmasked frame', [frame(1, Buffer.from('{}'), { mask: false })], 1002],
    ['RSV bits without an extension', [frame(1, Buffer.from('{}'), { rsv: 3 })], 1002],
    ['an unknown opcode', [frame(3, Buffer.from('x'))], 1002],
    ['invalid UTF-8 text', [frame(1, Buffer.from([0xff, 0xfe, 0xfd]))], 1007],
    ['a fragmented control frame', [frame(9, Buffer.from('x'), { fin: false })], 1002],
  ])('closes on %s with the RFC code and no uncaught exception', async (_name, frames, code) => {
    expect(await abuse(served.port, frames)).toBe(code);
    expect(uncaught).toEqual([]);
  });

  it('survives a ping flood and a fragment flood, and still serves others', async () => {
    const pings = Array.from({ length: 2000 }, () => frame(9, Buffer.from('p')));
    await abuse(served.port, pings);
    const fragments = [
      frame(1, Buffer.from('{'), { fin: false }),
      ...Array.from({ length: 20_000 }, () => frame(0, Buffer.alloc(0), { fin: false })),
    ];
    await abuse(served.port, fragments);
    expect(uncaught).toEqual([]);
    const client = watch(`${served.url}/?session_id=ok&access_token=good`);
    await client.opened;
    client.socket.close();
  });
});

describe('no leaks', () => {
  it('answers 10 000 fuzzed thrown values with catalog events that never carry the secret', async () => {
    const client = watch(`${served.url}/?session_id=leak&access_token=good`);
    await client.opened;
    const seen: any[] = [];
    for (let n = 0; n < values.length; n++) {
      client.socket.send(JSON.stringify({ type: 'throw', n, id: n }));
      if (n % 500 === 499) while (seen.length < n + 1) seen.push(await client.next());
    }
    while (seen.length < values.length) seen.push(await client.next());
    const wire = JSON.stringify(seen);
    expect(wire.includes(secret)).toBe(false);
    for (const event of seen) {
      expect(event.type).toBe('error');
      if (event.error.code !== 'NOT_IN_CATALOG')
        expect(catalog.get(event.error.code), event.error.code).toBeDefined();
      expect(event.error.correlation_id).toBeTruthy();
    }
    expect(seen.filter((e) => e.error.code === 'INTERNAL_ERROR').length).toBeGreaterThan(1000);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    expect(uncaught).toEqual([]);
    client.socket.close();
  });
});
