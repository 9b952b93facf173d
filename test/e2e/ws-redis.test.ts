import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { redisSend, redisStore } from 'faultline/stores';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { authenticate, catalog } from './ws-fixtures.js';
import { refusal, type Seen, type Served, serve, watch } from './ws-helpers.js';

let redis: RedisServer;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

/** Starts `ws-instance.ts` in a process of its own and resolves with it and its port. */
function instance(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./ws-instance.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=faultline-source', '--import', 'tsx', script, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`instance not listening within 20 s: ${err}`));
    }, 20_000);
    child.stderr!.on('data', (chunk) => (err += chunk));
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve({ child, port: JSON.parse(line).port });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited with ${code}: ${err}`));
    });
  });
}

function store(prefix = `t${randomUUID().slice(0, 8)}:`) {
  const client = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  clients.push(client);
  return redisStore({ send: redisSend(client), prefix });
}

describe('limits across two server instances on one redis-server', () => {
  it('shares the connection limit and the message rate of a session, and frees the leases of an instance that shuts down', async () => {
    const shared = store();
    const prefix = `p${randomUUID().slice(0, 6)}:`;
    const options = {
      errors: { catalog, logger: false as const },
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

    // Instance A shuts down: its sockets close and give their leases back.
    for (const s of a.endpoint.server.clients) s.terminate();
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

  it('admits new connections once the leases of a killed instance expire after their ttl', async () => {
    const prefix = `k${randomUUID().slice(0, 8)}:`;
    const ttl = 1500;
    const { child, port } = await instance([redis.url, prefix, '2', String(ttl)]);
    const path = '/?session_id=doomed&access_token=good';
    try {
      const held = [watch(`ws://127.0.0.1:${port}${path}`), watch(`ws://127.0.0.1:${port}${path}`)];
      await Promise.all(held.map((c) => c.opened));
      expect((await refusal(`ws://127.0.0.1:${port}${path}`)).status).toBe(429);

      // A second instance in this process shares the store: the killed instance's leases count there too.
      const b = await serve({
        errors: { catalog, logger: false },
        authenticate,
        limits: { connections: { max: 2, ttl, store: store(prefix) } },
      });
      expect((await refusal(b.url + path)).status).toBe(429);

      child.kill('SIGKILL');
      await Promise.all(held.map((c) => c.closed));
      const leases = new Redis(redis.url);
      clients.push(leases);
      const keys = await leases.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      // Nothing released them: the dead process's two leases are still in the store, and still refuse.
      expect((await refusal(b.url + path)).status).toBe(429);

      let admitted: Seen | undefined;
      for (let i = 0; i < 100 && admitted === undefined; i++) {
        const next = watch(b.url + path);
        const opened = await next.opened.then(
          () => true,
          () => false,
        );
        if (opened) admitted = next;
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(admitted).toBeDefined();
      // Both slots are free again: the second connection is admitted too, and the third refused.
      const second = watch(b.url + path);
      await second.opened;
      expect((await refusal(b.url + path)).status).toBe(429);
      admitted!.socket.close();
      second.socket.close();
      await b.close();
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);
});
