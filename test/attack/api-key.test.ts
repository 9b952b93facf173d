import { FaultlineConfigError } from 'faultline';
import { apiKey, type GuardContext, type GuardRequest } from 'faultline/guards';
import { createErrorHandler } from 'faultline/server';
import { describe, expect, it } from 'vitest';

// Attacks on the apiKey guard itself: a lookup that fails must never let a key in (OWASP: fail closed on
// authentication), and an unknown app must cost what a known one does.
const handler = createErrorHandler({ logger: false });
const contextOf = (key: string, app = 'a1'): GuardContext => ({
  request: { method: 'GET', url: '/', headers: { 'x-api-key': key, 'x-app-id': app } } as GuardRequest,
  headers: new Map(),
  onFinish() {},
  body: () => undefined,
  capture() {},
});
// The guard returns its denial (a wrong or missing key) or throws it (a lookup that failed closed).
const answer = async (run: () => unknown) => {
  try {
    const denial = await run();
    return denial === undefined ? 200 : handler.normalize(denial).status;
  } catch (thrown) {
    return handler.normalize(thrown).status;
  }
};

describe('apiKey when its lookup fails', () => {
  it("refuses onStoreError 'open' at definition: it would admit any key while the lookup is down", () => {
    expect(() => apiKey({ keys: () => 'k', onStoreError: 'open' })).toThrow(FaultlineConfigError);
  });

  it("a policy function answering 'open' admits no key: 401, whatever key is sent", async () => {
    const guard = apiKey({
      keys: () => Promise.reject(new Error('lookup down')),
      onStoreError: () => 'open',
    });
    for (const key of ['anything', 'k', '']) {
      expect(await answer(() => guard.check(contextOf(key || 'x')))).toBe(401);
    }
  });

  it("the default ('closed') answers 503, never admits", async () => {
    const guard = apiKey({ keys: () => Promise.reject(new Error('lookup down')) });
    expect(await answer(() => guard.check(contextOf('k')))).toBe(503);
  });

  it('a lookup that never answers is cut at storeTimeout and refused', async () => {
    const guard = apiKey({ keys: () => new Promise<string>(() => {}), storeTimeout: 50 });
    expect(await answer(() => guard.check(contextOf('k')))).toBe(503);
  });
});

describe('apiKey: unknown and known apps alike', () => {
  it('an unknown app, an empty key list and a wrong key all answer 401; the right key is admitted', async () => {
    const keys = new Map([['a1', 'right-key']]);
    const guard = apiKey({
      keys: (r) => keys.get(String((r.headers as Record<string, string>)['x-app-id'])),
    });
    expect(await answer(() => guard.check(contextOf('right-key')))).toBe(200);
    expect(await answer(() => guard.check(contextOf('wrong-key')))).toBe(401);
    expect(await answer(() => guard.check(contextOf('right-key', 'unknown')))).toBe(401);
    expect(await answer(() => apiKey({ keys: [] }).check(contextOf('right-key')))).toBe(401);
    expect(await answer(() => apiKey({ keys: () => [] }).check(contextOf('right-key')))).toBe(401);
  });
});
