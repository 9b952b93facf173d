import { randomUUID } from 'node:crypto';
import { ioredisSend, redisStore } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { authenticate, catalog } from './ws-fixtures.js';
import { refusal, type Served, serve, watch } from './ws-helpers.js';

let redis: RedisServer;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

function store() {
  const client = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  clients.push(client);
  return redisStore({ send: ioredisSend(client), prefix: `t${randomUUID().slice(0, 8)}:` });
}

describe('limits across two server instances on one redis-server', () => {
  it('shares the connection limit and the message rate of a session, and frees the leases of a dead instance', async () => {
    const shared = store();
    const prefix = `p${randomUUID().slice(0, 6)}:`;
    const options = {
      errors: { catalog, onError: () => {} },
      authenticate,
      limits: {
        heartbeat: 40,
        connections: { max: 3, store: shared, ttl: 300, prefix },
        rate: { limit: 4, window: 60_000, store: shared, over: 'event' as const, prefix },
      },
      on: { m: (_m: unknown, conn: { send(x: unknown): boolean }) => conn.send({ type: 'ok' }) },
    };
    const a: Served<any> = await serve(options);
    const b: Served<any> = await serve(options);
    const path = '/?session_id=shared&access_token=good';
    const onA = [watch(a.url + path), watch(a.url + path)];
    await Promise.all(onA.map((c) => c.opened));
    const onB = watch(b.url + path);
    await onB.opened;
    expect((await refusal(b.url + path)).status).toBe(429);
    expect((await refusal(a.url + path)).status).toBe(429);

    const replies: any[] = [];
    for (let i = 0; i < 3; i++) {
      onA[0]!.socket.send(JSON.stringify({ type: 'm' }));
      replies.push(await onA[0]!.next());
    }
    onB.socket.send(JSON.stringify({ type: 'm' }));
    replies.push(await onB.next());
    onB.socket.send(JSON.stringify({ type: 'm' }));
    replies.push(await onB.next());
    expect(replies.slice(0, 4)).toEqual(Array(4).fill({ type: 'ok' }));
    expect(replies[4].error.code).toBe('MESSAGE_RATE_LIMITED');

    // Instance A dies without releasing: its timers stop and its sockets vanish; its leases expire after the ttl.
    a.endpoint.server.clients.forEach((s) => s.terminate());
    await a.endpoint.close({ timeout: 50 });
    a.server.close();
    let reopened = false;
    for (let i = 0; i < 60 && !reopened; i++) {
      const next = watch(b.url + path);
      reopened = await next.opened.then(
        () => true,
        () => false,
      );
      if (reopened) next.socket.close();
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(reopened).toBe(true);
    await b.close();
  }, 20_000);
});
