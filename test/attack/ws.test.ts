/**
 * The WebSocket surface under attack, held to what `ws` promises: it never buffers without bound, a
 * message past `maxPayload` closes with 1009, a closing socket sends no data frame, and every close code
 * on the wire is one RFC 6455 allows. Each endpoint runs in a child process, so a crash is seen as a
 * death rather than taking the test runner down with it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { burst, slowReaderFlood } from '../helpers/ws-attacks.js';
import { fuzzLimits, startDemo, startTarget, type Target } from '../helpers/ws-process.js';
import { isSendableCloseCode, type RawClient, rawConnect } from '../helpers/ws-raw.js';

const MiB = 1024 * 1024;
const tiny = Buffer.from([1, 2]);

/** Ends a raw client politely and waits (10 s at most) for the TCP connection to close. */
async function finish(client: RawClient): Promise<void> {
  client.socket.resume();
  client.closeFrame();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.ended, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
  clearTimeout(timer);
  client.socket.destroy();
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('slow readers', () => {
  it('slow-reader flood of 2-byte binary frames with the error budget off: the process lives and the socket is terminated (ws: a socket past its send bound is closed, never buffered without end)', async () => {
    const target = await startTarget('unbudgeted');
    try {
      const before = await target.stats();
      const flood = await slowReaderFlood(`${target.url}/`, tiny, {
        max: 300_000,
        ms: 20_000,
        alive: target.alive,
      });
      expect(target.alive(), target.stderr()).toBe(true);
      // The client reads again: it gets what was in flight, then the connection is gone without a close frame.
      expect(await flood.drain()).toBe(1006);
      const after = await target.stats();
      expect(after.connections).toBe(0);
      // The send buffer never passed twice the 1 MiB bound (plus one event).
      expect(after.maxBuffered).toBeLessThanOrEqual(2 * MiB + 4096);
      expect(after.heapUsed - before.heapUsed).toBeLessThan(32 * MiB);
      // And it still serves: a new client gets its error event.
      expect((await burst(`${target.url}/`, '{', 1)).events).toBe(1);
    } finally {
      target.stop();
    }
  }, 60_000);

  it('the same flood on an endpoint with no option at all: the default error budget closes it with 1008 long before the send bound (ws: a peer that breaks policy is closed with 1008)', async () => {
    const target = await startTarget('default');
    try {
      const flood = await slowReaderFlood(`${target.url}/`, tiny, {
        max: 50_000,
        ms: 20_000,
        alive: target.alive,
      });
      expect(target.alive(), target.stderr()).toBe(true);
      expect(await flood.drain()).toBe(1008);
      const after = await target.stats();
      // 20 events of a few hundred bytes, not the 2 MiB a flood answered one for one reaches.
      expect(after.maxBuffered).toBeLessThan(64 * 1024);
      expect(after.frames).toBeLessThanOrEqual(20 + 10 * 20);
    } finally {
      target.stop();
    }
  }, 60_000);

  it('the same flood on the demo (npm start): the demo lives and still answers (ws: never buffered without end)', async () => {
    const demo = await startDemo();
    try {
      const flood = await slowReaderFlood(demo.socketUrl, tiny, {
        max: 150_000,
        ms: 20_000,
        alive: demo.alive,
      });
      expect(demo.alive(), demo.stderr()).toBe(true);
      flood.client.terminate();
      const answer = await fetch(`http://127.0.0.1:${demo.port}/errors`);
      expect(answer.status).toBe(200);
      await answer.arrayBuffer();
      expect(demo.alive(), demo.stderr()).toBe(true);
    } finally {
      demo.stop();
    }
  }, 60_000);
});

describe('a store that does not answer', () => {
  it('verdicts pending on a stalled store pause reading instead of holding every message (ws: a receiver that cannot keep up stops reading)', async () => {
    const target = await startTarget('stalled');
    try {
      const before = await target.stats();
      const client = await rawConnect(target.port, '/?key=stalled');
      // 64 MiB of valid messages: more than the kernel buffers of a loopback socket hold.
      const message = Buffer.from(JSON.stringify({ type: 'note', pad: 'x'.repeat(32 * 1024) }));
      for (let i = 0; i < 2000; i++) client.send(1, message);
      // Until the client has written everything, or has been held back for 5 s.
      for (let i = 0; i < 250 && client.socket.writableLength > 0; i++) await sleep(20);
      const held = await target.stats();
      expect(held.heapUsed - before.heapUsed).toBeLessThan(16 * MiB);
      const { released } = JSON.parse(await target.ask('release'));
      expect(released).toBeGreaterThan(0);
      await finish(client);
      expect(target.alive(), target.stderr()).toBe(true);
    } finally {
      target.stop();
    }
  }, 60_000);
});

describe('amplification: error events obey the message rate', () => {
  let rated: Target;
  let ratedEvent: Target;
  beforeAll(async () => {
    [rated, ratedEvent] = await Promise.all([startTarget('rated'), startTarget('rated-event')]);
  }, 45_000);
  afterAll(() => {
    rated?.stop();
    ratedEvent?.stop();
  });
  // The budget is 20 messages, refilled one per 3 s: the most a burst lasting `elapsed` ms may earn.
  const budget = (elapsed: number) => 20 + Math.ceil(elapsed / 3000);

  it('5 000 two-byte binary frames against a budget of 20 get at most the budget in events (ws: binary frames are messages like any other)', async () => {
    const answers = await burst(`${rated.url}/?key=binary`, tiny, 5000);
    expect(answers.bytesIn).toBe(40_000);
    expect(answers.events).toBeGreaterThan(0);
    expect(answers.events).toBeLessThanOrEqual(budget(answers.elapsed));
    expect(rated.alive(), rated.stderr()).toBe(true);
  }, 30_000);

  it('200 messages past the soft size limit count against the budget too (ws: a message is a message whatever its size)', async () => {
    const answers = await burst(`${rated.url}/?key=oversized`, Buffer.alloc(65 * 1024, 0x61), 200);
    expect(answers.events).toBeGreaterThan(0);
    expect(answers.events).toBeLessThanOrEqual(budget(answers.elapsed));
  }, 30_000);

  it('5 000 malformed messages with over: event get the budget and one rate notice per wait, not one per message', async () => {
    const answers = await burst(`${ratedEvent.url}/?key=malformed`, '{', 5000);
    // 20 malformed-message events, then one MESSAGE_RATE_LIMITED per Retry-After period.
    expect(answers.events).toBeGreaterThan(20);
    expect(answers.events).toBeLessThanOrEqual(
      budget(answers.elapsed) + Math.ceil(answers.elapsed / 3000) + 1,
    );
  }, 30_000);

  it('5 000 two-byte binary frames on the demo get at most its rate of 20 a second in events', async () => {
    const demo = await startDemo();
    try {
      const answers = await burst(demo.socketUrl, tiny, 5000);
      expect(answers.events).toBeGreaterThan(0);
      expect(answers.events).toBeLessThanOrEqual(20 + 20 * Math.ceil(answers.elapsed / 1000));
      expect(demo.alive(), demo.stderr()).toBe(true);
    } finally {
      demo.stop();
    }
  }, 60_000);
});

describe('amplification with no message rate: a default budget of error events per connection', () => {
  let open: Target;
  beforeAll(async () => {
    open = await startTarget('default');
  }, 45_000);
  afterAll(() => open?.stop());
  // The default budget: a burst of 20 events, refilled 10 a second.
  const budget = (elapsed: number) => 20 + 10 * Math.ceil(elapsed / 1000);

  it('5 000 two-byte binary frames on an endpoint with no rate get at most the burst plus the rate over the run in events, then a 1008 close (was 5 000 events, ~1.2 MB out for 40 kB in) (ws: a peer that breaks policy is closed with 1008)', async () => {
    const started = Date.now();
    const client = await rawConnect(open.port, '/');
    for (let i = 0; i < 5000; i++) client.send(2, tiny);
    await finish(client);
    const elapsed = Date.now() - started;
    expect(client.seen.frames).toBeGreaterThan(0);
    expect(client.seen.frames).toBeLessThanOrEqual(budget(elapsed));
    for (const code of client.seen.closeCodes) {
      expect(code !== null && isSendableCloseCode(code), `close code ${code}`).toBe(true);
    }
    expect(client.seen.closeCodes).toEqual([1008]);
    expect(client.seen.afterClose).toBe(0);
    expect(open.alive(), open.stderr()).toBe(true);
  }, 30_000);

  it('5 000 malformed text messages the same: the budget, then 1008, and nothing after the close frame', async () => {
    const started = Date.now();
    const client = await rawConnect(open.port, '/');
    for (let i = 0; i < 5000; i++) client.send(1, Buffer.from('{'));
    await finish(client);
    expect(client.seen.frames).toBeLessThanOrEqual(budget(Date.now() - started));
    expect(client.seen.closeCodes).toEqual([1008]);
    expect(client.seen.afterClose).toBe(0);
  }, 30_000);

  it('a client that makes a few mistakes gets an event for each and stays open: 20 malformed messages, 20 events, its own close', async () => {
    const client = await rawConnect(open.port, '/');
    for (let i = 0; i < 20; i++) client.send(1, Buffer.from('{'));
    for (let i = 0; i < 250 && client.seen.frames < 20; i++) await sleep(20);
    await finish(client);
    expect(client.seen.frames).toBe(20);
    expect(client.seen.closeCodes).toEqual([1000]);
  }, 30_000);
});

describe('frames and close codes', () => {
  let fuzz: Target;
  beforeAll(async () => {
    fuzz = await startTarget('fuzz');
  }, 45_000);
  afterAll(() => fuzz?.stop());

  it('a message past maxPayload closes with 1009 and nothing after it (ws: maxPayload closes with 1009)', async () => {
    const client = await rawConnect(fuzz.port, '/?key=payload');
    client.send(2, Buffer.alloc(fuzzLimits.maxPayload + 1));
    client.send(1, Buffer.from('{'));
    await finish(client);
    expect(client.seen.closeCodes).toEqual([1009]);
    expect(client.seen.afterClose).toBe(0);
  });

  it('frames behind a message that ends the session get no answer after the close frame (ws: a closing socket sends no data frames)', async () => {
    const client = await rawConnect(fuzz.port, '/?key=end');
    client.send(1, Buffer.from('{"type":"end"}'));
    for (let i = 0; i < 1000; i++) client.send(i % 2 ? 2 : 1, Buffer.from('{'));
    await finish(client);
    expect(client.seen.closeCodes).toEqual([4410]);
    expect(client.seen.afterClose).toBe(0);
  });
});

type Step =
  | { kind: 'text'; body: string }
  | { kind: 'sized'; binary: boolean; size: number }
  | { kind: 'invalidUtf8' }
  | { kind: 'burst'; binary: boolean; count: number; size: number }
  | { kind: 'stall'; kb: number }
  | { kind: 'freeze' }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'wait'; ms: number };

const { maxPayload, maxBytes, maxBuffered } = fuzzLimits;
// Sizes from empty to past maxPayload, with the edges of both limits drawn often.
const size = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 64 }), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: maxBytes + 1024 }), weight: 2 },
  { arbitrary: fc.integer({ min: 0, max: maxPayload + 4096 }), weight: 1 },
  { arbitrary: fc.constantFrom(0, maxBytes, maxBytes + 1, maxPayload, maxPayload + 1), weight: 1 },
);
const text = fc.oneof(
  fc
    .record({
      type: fc.constantFrom('echo', 'fill', 'busy', 'end', 'crash', 'unknown', 'command'),
      id: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
      payload: fc.string({ maxLength: 200 }),
      kb: fc.integer({ min: 0, max: 256 }),
    })
    .map((m) => JSON.stringify(m)),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{', '[]', 'null', '{"type":1}', '{"type":"echo"'),
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: text.map((body) => ({ kind: 'text' as const, body })), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('sized' as const), binary: fc.boolean(), size }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'invalidUtf8' as const }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('burst' as const),
      binary: fc.boolean(),
      count: fc.integer({ min: 1, max: 2000 }),
      size: fc.integer({ min: 0, max: 32 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.constant({ kind: 'pause' as const }), weight: 2 },
  // Stops reading, then asks for up to 1 MiB of answers.
  {
    arbitrary: fc.record({ kind: fc.constant('stall' as const), kb: fc.integer({ min: 1, max: 1024 }) }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'resume' as const }), weight: 1 },
  // Stops reading while the server holds its sends for a moment, as behind a full kernel buffer.
  { arbitrary: fc.constant({ kind: 'freeze' as const }), weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 30 }) }),
    weight: 1,
  },
);

function play(client: RawClient, s: Step): void | Promise<void> {
  switch (s.kind) {
    case 'text':
      client.send(1, Buffer.from(s.body));
      return;
    case 'sized':
      // A text message of `size` bytes is a JSON string, so that it parses when it is under the limits.
      client.send(
        s.binary ? 2 : 1,
        s.binary || s.size < 2 ? Buffer.alloc(s.size, 7) : Buffer.from(`"${'a'.repeat(s.size - 2)}"`),
      );
      return;
    case 'invalidUtf8':
      client.send(1, Buffer.from([0x7b, 0xff, 0xfe]));
      return;
    case 'burst':
      for (let i = 0; i < s.count; i++) client.send(s.binary ? 2 : 1, Buffer.alloc(s.size, 0x7b));
      return;
    case 'stall':
      client.socket.pause();
      client.send(1, Buffer.from(JSON.stringify({ type: 'fill', kb: s.kb })));
      return;
    case 'freeze':
      client.socket.pause();
      client.send(1, Buffer.from('{"type":"freeze"}'));
      return;
    case 'pause':
      client.socket.pause();
      return;
    case 'resume':
      client.socket.resume();
      return;
    case 'wait':
      return sleep(s.ms);
  }
}

describe.each([
  ['with a message rate', 'fuzz'],
  ['with no message rate (the default budget of error events)', 'fuzz-open'],
  ['with no message rate and the budget of error events off', 'fuzz-off'],
])('random frame sequences on a real connection, %s (fast-check)', (_name, preset) => {
  let fuzz: Target;
  beforeAll(async () => {
    fuzz = await startTarget(preset);
  }, 45_000);
  afterAll(() => fuzz?.stop());

  it('text and binary, valid and invalid JSON, sizes past maxPayload, pauses and reads: the process lives, memory stays bounded, every close code sent is one RFC 6455 allows (ws: never buffered without end; 1004–1006 and 1015 never on the wire)', async () => {
    const before = await fuzz.stats();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const client = await rawConnect(fuzz.port, `/?key=run-${run++}`);
        let ended = false;
        void client.ended.then(() => (ended = true));
        for (const s of steps) {
          if (ended) break;
          await play(client, s);
        }
        await finish(client);
        // It answers, so it lives (stats rejects with its stderr once it has died).
        await fuzz.stats();
        for (const code of client.seen.closeCodes) {
          if (code !== null) expect(isSendableCloseCode(code), `close code ${code}`).toBe(true);
        }
        expect(client.seen.malformed).toBe(0);
        expect(client.seen.afterClose).toBe(0);
      }),
      // One server lives through every run, so a failure is not shrunk: the sequence that met it is kept.
      { numRuns: 30, timeout: 20_000, interruptAfterTimeLimit: 120_000, endOnFailure: true },
    );
    expect(fuzz.alive(), fuzz.stderr()).toBe(true);
    let after = await fuzz.stats();
    for (let i = 0; i < 50 && after.connections > 0; i++) {
      await sleep(20);
      after = await fuzz.stats();
    }
    expect(after.connections).toBe(0);
    // A send buffer never held more than twice its bound, plus one echoed message and one event.
    expect(after.maxBuffered).toBeLessThanOrEqual(2 * maxBuffered + maxBytes + 4096);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(32 * MiB);
  }, 180_000);
});
