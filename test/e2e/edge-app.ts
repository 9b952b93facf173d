import { defineErrors } from 'faultline';
import { apiKey, byHeader, byIp, concurrency, idempotency, quota, rateLimit } from 'faultline/guards';
import { createHonoErrors, guard } from 'faultline/hono';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import { getConnInfo } from 'hono/cloudflare-workers';

// The app of test/e2e/edge-hono.test.ts, a Worker as a user writes one. The test runs it in the test's
// own realm and, bundled for the neutral platform, in a `node:vm` realm that has Web globals only.

/** The env a request is given: the runtime's (Deno's `remoteAddr`, Bun's server), and a gate for /orders. */
export interface EdgeEnv {
  readonly remoteAddr?: { readonly hostname: string };
  readonly requestIP?: (request: Request) => { address: string } | null;
  /** Called by the /orders handler when it starts, when set. */
  readonly entered?: () => void;
  /** Awaited by the /orders handler before it answers, when set: holds a request in flight. */
  readonly gate?: Promise<void>;
}

/** The app: on Workers (`cf-connecting-ip` through `getConnInfo`) or on Deno and Bun (the env's peer). */
export function edgeApp(runtime: 'workers' | 'env'): {
  fetch: (request: Request, env?: EdgeEnv) => Promise<Response>;
} {
  const store = memoryStore();
  const app = new Hono<{ Bindings: EdgeEnv }>();
  const errors = createHonoErrors(
    { catalog: defineErrors({}), onError: false },
    { ...(runtime === 'workers' ? { ip: getConnInfo } : {}), body: { limit: '1kb' } },
  );
  errors.install(app);
  let executed = 0;
  app.get('/limited', guard(rateLimit({ name: 'per-ip', key: byIp, limit: 3, period: '1m', store })), (c) =>
    c.text('ok'),
  );
  app.post(
    '/orders',
    guard(
      apiKey({ keys: ['key-right'] }),
      quota({ key: byHeader('x-api-key'), limit: 100, per: 'day', store }),
      concurrency({ key: byHeader('x-api-key'), limit: 50, store }),
      idempotency({ tenant: (r) => byHeader('x-api-key')(r) ?? '', store }),
    ),
    errors.json(),
    async (c) => {
      c.env?.entered?.();
      await c.env?.gate;
      executed++;
      return c.json({ executed, order: await c.req.json() }, 201);
    },
  );
  return { fetch: (request, env) => Promise.resolve(app.fetch(request, env)) };
}
