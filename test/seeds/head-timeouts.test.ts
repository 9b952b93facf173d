/**
 * Seeds 001 to 004 bound a request head as seed 000 does: a head sent a byte at a time, or that never ends,
 * is answered (408, or 400 where the page has no 408) and the connection closes, once faultline's read
 * timeout (10 s) has passed. Node's own bound let it hold its connection about 90 s, out of reach of every
 * per-address limit, which counts requests.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start as start001 } from '../../examples/seeds/001/app.js';
import { start as start002 } from '../../examples/seeds/002/app.js';
import { start as start003 } from '../../examples/seeds/003/app.js';
import { start as start004 } from '../../examples/seeds/004/app.js';
import { sendRaw } from '../helpers/raw.js';

const running: { url: string; close(): Promise<void> }[] = [];
beforeAll(async () => {
  const log = () => {};
  running.push(
    await start001(0, { log }),
    await start002(0, { log }),
    await start003(0, { adminApiKey: randomBytes(24).toString('base64url'), log }),
    await start004(0, { log }),
  );
});
afterAll(async () => {
  for (const server of running) await server.close();
});

describe('seeds 001 to 004: a head that never ends', () => {
  it("is answered in the page's envelope, and the connection closes", async () => {
    // Each answer is awaited 25 s at most: under node's own bound none would come by then.
    const answers = await Promise.all(
      running.map((server) =>
        sendRaw(server.url, ['GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1'], { timeoutMs: 25_000 }),
      ),
    );
    for (const answer of answers) {
      expect([400, 408]).toContain(answer.status);
      expect(answer.headers.connection).toBe('close');
      expect(() => JSON.parse(answer.body)).not.toThrow();
    }
  }, 40_000);
});
