import type { Server } from 'node:http';
import { defineErrors } from 'faultline';
import { idempotency } from 'faultline/guards';
import { memoryStore } from 'faultline/stores';
import { afterAll, describe, expect, it } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close, listen } from '../helpers/http.js';

// Attack, as a careful client: a retry of an idempotent POST whose path spells the same resource another way
// (`%77s_1` for `ws_1`, `%2f` for `%2F`: RFC 3986 §6.2.2 makes them equivalent, and the router decodes both
// to one parameter) is the same request. Before, the fingerprint hashed the raw path: the retry got 422,
// "a different request body", for the very body the first request sent.
const catalog = defineErrors({});
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await close(server);
});

describe.each(adapters.map((a) => [a.name, a] as const))('%s', (_name, adapter) => {
  it('replays a retry whose path percent-encodes what the first wrote plainly', async () => {
    let runs = 0;
    const server = await adapter.build({
      options: { catalog, logger: false },
      routes: [
        {
          method: 'POST',
          path: '/w/:ws/orders',
          json: true,
          guards: [idempotency({ store: memoryStore(), tenant: (r) => r.params?.ws ?? '' })],
          handle: () => {
            runs++;
            return { status: 201, body: { order: runs } };
          },
        },
      ],
    });
    servers.push(server);
    const url = await listen(server);
    const post = (path: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': '"order-1"' },
        body: '{"item":"book"}',
        signal: AbortSignal.timeout(5_000),
      });
    const first = await post('/w/ws_1/orders');
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ order: 1 });
    for (const path of ['/w/%77s_1/orders', '/w/%77%73%5f%31/orders', '/w/%77s%5F1/orders']) {
      const retry = await post(path);
      expect({ path, status: retry.status }).toEqual({ path, status: 201 });
      expect(await retry.json()).toEqual({ order: 1 });
    }
    expect(runs).toBe(1);
  });
});
