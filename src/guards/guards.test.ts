import { ApiError } from 'faultline';
import { checkMessage, concurrency, type Guard, type GuardContext, quota, rateLimit } from 'faultline/guards';
import { createErrorHandler } from 'faultline/server';
import { memoryStore } from 'faultline/stores';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseIdempotencyKey } from './idempotency.js';
import { ipPrefix } from './key-of.js';
import { runGuards } from './run.js';

function contextOf(): GuardContext {
  return {
    request: { method: 'GET', url: '/' },
    headers: new Map(),
    onFinish() {},
    body: () => undefined,
    capture() {},
  };
}

// What the standard catalog's handler answers for a guard's denial.
const handler = createErrorHandler({ logger: false });
const answer = (thrown: unknown) => handler.normalize(thrown);

function denial(guard: Guard): { headers: Record<string, string>; code: string } {
  let refused: unknown;
  try {
    // A guard returns its denial (the rate limit) or throws it (the others).
    refused = runGuards([guard], contextOf());
  } catch (thrown) {
    refused = thrown;
  }
  if (refused === undefined) throw new Error('admitted');
  const error = answer(refused);
  if (error instanceof ApiError) return { headers: { ...error.headers }, code: error.code };
  throw error;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('quota periods', () => {
  it('resets at local midnight on a daylight-saving day (a 23-hour day in New York)', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-08T16:00:00Z')); // noon EDT, the day clocks sprang forward
    const guard = quota({
      key: () => 'k',
      limit: 1,
      per: 'day',
      timeZone: 'America/New_York',
      store: memoryStore({ now: Date.now }),
    });
    runGuards([guard], contextOf());
    const { headers, code } = denial(guard);
    expect(code).toBe('QUOTA_EXCEEDED');
    expect(headers['retry-after']).toBe(String(12 * 3600)); // until 2026-03-09T04:00Z
    expect(headers['ratelimit-policy']).toBe('"1-per-day";q=1;w=82800');
  });

  it('counts months in the zone: 23:30 UTC on 31 January is February in Paris', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-31T23:30:00Z'));
    const guard = quota({
      key: () => 'k',
      limit: 1,
      per: 'month',
      timeZone: 'Europe/Paris',
      store: memoryStore({ now: Date.now }),
    });
    runGuards([guard], contextOf());
    const reset = Date.parse('2026-02-28T23:00:00Z') - Date.parse('2026-01-31T23:30:00Z');
    expect(denial(guard).headers['retry-after']).toBe(String(reset / 1000));
  });

  it('starts a new period when the clock crosses the boundary', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-05-01T23:59:59Z'));
    const guard = quota({ key: () => 'k', limit: 1, per: 'day', store: memoryStore({ now: Date.now }) });
    runGuards([guard], contextOf());
    expect(denial(guard).headers['retry-after']).toBe('1');
    vi.setSystemTime(new Date('2026-05-02T00:00:01Z'));
    expect(runGuards([guard], contextOf())).toBeUndefined();
  });
});

describe('rateLimit pacing', () => {
  it('refills one unit per interval after a burst (GCRA)', () => {
    let now = 1_000_000;
    const guard = rateLimit({
      key: () => 'k',
      limit: 10,
      period: '10s',
      burst: 2,
      store: memoryStore({ now: () => now }),
    });
    runGuards([guard], contextOf());
    runGuards([guard], contextOf());
    expect(denial(guard).headers['retry-after']).toBe('1');
    now += 1000;
    const context = contextOf();
    runGuards([guard], context);
    expect(context.headers.get('ratelimit')).toBe('"10-per-10s";r=0;t=2');
    expect(denial(guard).headers.ratelimit).toBe('"10-per-10s";r=0;t=1');
  });
});

describe('ipPrefix', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('keys %s by %s', (ip, key) => {
    expect(ipPrefix(ip)).toBe(key);
  });

  it('keeps a narrower subnet on request', () => {
    expect(ipPrefix('2001:db8:abcd:12ff::1', 56)).toBe('2001:db8:abcd:1200::/56');
  });

  it('refuses a subnet that is not a whole number from 1 to 128', () => {
    for (const subnet of [0, 129, 1.5, Number.NaN])
      expect(() => ipPrefix('2001:db8::1', subnet)).toThrow(RangeError);
  });
});

describe('parseIdempotencyKey', () => {
  it.each([
    ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['  "a b"  ', 'a b'],
    ['"say \\"hi\\""', 'say "hi"'],
    ['bare-token_1', 'bare-token_1'],
  ])('reads %s', (value, key) => {
    expect(parseIdempotencyKey(value)).toBe(key);
  });

  it.each([['""'], ['"open'], ['"bad\\x"'], ['two words'], ['"é"'], [`"${'k'.repeat(256)}"`]])(
    'refuses %s',
    (value) => {
      expect(parseIdempotencyKey(value)).toBeUndefined();
    },
  );
});

describe('checkMessage', () => {
  it('admits, then answers a denial as a verdict with the wait in ms, without headers', async () => {
    const perSession = rateLimit({ key: (r) => r.url, limit: 1, period: '10s', store: memoryStore() });
    expect(await checkMessage([perSession], { url: 's1' })).toEqual({ allowed: true });
    const denied = await checkMessage([perSession], { url: 's1' });
    expect(denied.allowed).toBe(false);
    if (!denied.allowed) {
      expect(answer(denied.error).code).toBe('RATE_LIMITED');
      expect(denied.retryAfterMs).toBe(10_000);
    }
  });

  it('releases a concurrency lease as soon as the check ends', async () => {
    const one = concurrency({ key: () => 'k', limit: 1, store: memoryStore() });
    expect((await checkMessage([one], {})).allowed).toBe(true);
    expect((await checkMessage([one], {})).allowed).toBe(true);
  });

  it('rethrows what is not a catalog error', () => {
    const broken: Guard = {
      kind: 'broken',
      check() {
        throw new TypeError('bug');
      },
    };
    expect(() => checkMessage([broken], {})).toThrow(TypeError);
  });
});
