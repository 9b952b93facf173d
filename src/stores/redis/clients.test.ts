import { redisSend } from 'faultline/stores';
import { describe, expect, it } from 'vitest';

// The real clients (ioredis, iovalkey, node-redis and its cluster) run against redis-server in
// test/e2e/stores.test.ts and stores-cluster.test.ts; here, what tells them apart, and what is refused.
describe('redisSend', () => {
  it('sends through call for ioredis-shaped clients, args spread', async () => {
    const seen: unknown[] = [];
    const send = redisSend({ call: async (...args: string[]) => seen.push(args) });
    await send(['GET', 'k'], 'k');
    expect(seen).toEqual([['GET', 'k']]);
  });

  it('routes by key for a node-redis cluster, and sends the args whole to a node-redis client', async () => {
    const seen: unknown[] = [];
    const cluster = redisSend({
      sendCommand: async (...args: unknown[]) => seen.push(args),
      getSlotMaster: () => undefined,
    });
    await cluster(['GET', 'k'], 'k');
    const client = redisSend({ sendCommand: async (args: string[]) => seen.push(args) });
    await client(['GET', 'j'], 'j');
    expect(seen).toEqual([
      ['k', false, ['GET', 'k']],
      ['GET', 'j'],
    ]);
  });

  it('refuses anything else when called, not at the first command', () => {
    for (const value of [{}, { call: 'x' }, null, 'redis://x'])
      expect(() => redisSend(value as never)).toThrow(
        expect.objectContaining({ code: 'FAULTLINE_INVALID_OPTION' }),
      );
  });
});
