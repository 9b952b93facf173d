// One server instance in a process of its own, for tests that kill it: a WebSocket endpoint whose connection
// leases live on the redis-server given in argv, keyed by the `session_id` of the query. Prints its port.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redisSend, redisStore } from 'faultline/stores';
import { createWsErrors } from 'faultline/ws';
import { Redis } from 'ioredis';
import { authenticate, catalog } from './ws-fixtures.js';

const [url, prefix, max, ttl] = process.argv.slice(2);
const client = new Redis(url!, { maxRetriesPerRequest: 1 });
const store = redisStore({ send: redisSend(client), prefix: prefix! });
const endpoint = createWsErrors({
  errors: { catalog, logger: false },
  authenticate,
  limits: { heartbeat: 200, connections: { max: Number(max), ttl: Number(ttl), store } },
});
const server = createServer();
server.on('upgrade', endpoint.upgrade);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
