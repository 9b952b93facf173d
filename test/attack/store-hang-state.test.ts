/**
 * `rateLimit`'s `get` and `reset` on a store that never answers (a frozen Redis): they reject with the
 * guard's store timeout, as a decision does, never wait for the store to come back. An admin route or a
 * monitor that reads a key's state must not hang with it.
 */
import { rateLimit } from 'faultline/guards';
import type { RateStore } from 'faultline/stores';
import { expect, it } from 'vitest';

const hung: RateStore = {
  kind: 'hung',
  rate: () => new Promise(() => {}),
  close: () => undefined,
};

it("rejects get and reset of a hung store after storeTimeout, with the timeout's error", async () => {
  const limit = rateLimit({ key: () => 'k', limit: 5, period: '1m', store: hung, storeTimeout: 50 });
  await expect(limit.get('app_1')).rejects.toMatchObject({ name: 'StoreTimeoutError' });
  await expect(limit.reset('app_1')).rejects.toMatchObject({ name: 'StoreTimeoutError' });
});

it('reads and resets the ban of a banning policy within the same bound', async () => {
  const limit = rateLimit({
    name: 'banning',
    key: () => 'k',
    limit: 5,
    period: '1m',
    store: hung,
    storeTimeout: 50,
    ban: { after: 3, for: '1h' },
  });
  await expect(limit.get('app_1')).rejects.toMatchObject({ name: 'StoreTimeoutError' });
  await expect(limit.reset('app_1')).rejects.toMatchObject({ name: 'StoreTimeoutError' });
});
