import { resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

// Workers, Deno and Vercel Edge have no `node:` modules (Workers only behind a compatibility flag) and
// no `Buffer`. What a Hono-on-Workers app pulls must do without both: each entry below is bundled as
// wrangler bundles a Worker (esbuild, neutral platform, worker/browser conditions), `node:*` left
// external so that the bundle says which it would need.

const root = resolve(import.meta.dirname, '../..');

interface Bundle {
  /** The `node:` modules the bundle imports. */
  readonly node: string[];
  /** The bundle's code. */
  readonly code: string;
}

async function bundle(contents: string): Promise<Bundle> {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['faultline-source', 'workerd', 'worker', 'browser'],
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    external: ['node:*'],
    logLevel: 'silent',
  });
  const outputs = Object.values((result.metafile as Metafile).outputs);
  const node = outputs.flatMap((output) =>
    output.imports.filter((i) => i.path.startsWith('node:')).map((i) => i.path),
  );
  return { node: [...new Set(node)].sort(), code: result.outputFiles[0]!.text };
}

// A Worker as the README writes one: the Hono layer, four guards, the memory store.
const workerApp = `
import { Hono } from 'hono';
import { defineErrors } from 'faultline';
import { createHonoErrors, guard } from 'faultline/hono';
import { apiKey, byHeader, byIp, idempotency, quota, rateLimit } from 'faultline/guards';
import { memoryStore } from 'faultline/stores';
const store = memoryStore();
const app = new Hono();
createHonoErrors({ catalog: defineErrors({}) }).install(app);
app.use(guard(rateLimit({ key: byIp, limit: 10, period: '1m', store })));
app.post(
  '/orders',
  guard(
    apiKey({ keys: ['k'] }),
    quota({ key: byHeader('x-api-key'), limit: 100, per: 'day', store }),
    idempotency({ tenant: () => 't', store }),
  ),
  (c) => c.json({ ok: true }, 201),
);
export default app;
`;

describe('edge runtimes: the import graph', () => {
  it('a Hono-on-Workers app (createHonoErrors + rateLimit + apiKey + idempotency + quota on the memory store) imports no node: module', async () => {
    const { node } = await bundle(workerApp);
    expect(node).toEqual([]);
  });

  it.each([
    ['faultline', `export * from 'faultline';`],
    ['faultline/server', `export * from 'faultline/server';`],
    ['faultline/hono', `export * from 'faultline/hono';`],
    ['faultline/guards', `export * from 'faultline/guards';`],
    ['faultline/stores', `export * from 'faultline/stores';`],
  ])(
    'every export of %s, bundled whole (no tree shaking to lean on), imports no node: module',
    async (_, source) => {
      expect((await bundle(source)).node).toEqual([]);
    },
  );

  // The Hono adapter keeps `Buffer` in the branches only `@hono/node-server` reaches (node's request
  // under `c.env.incoming`); test/e2e/edge-hono.test.ts runs the app where `Buffer` is not defined.
  it.each([
    ['faultline', `export * from 'faultline';`],
    ['faultline/server', `export * from 'faultline/server';`],
    ['faultline/guards', `export * from 'faultline/guards';`],
    ['faultline/stores', `export * from 'faultline/stores';`],
  ])('every export of %s uses no Buffer', async (_, source) => {
    expect((await bundle(source)).code).not.toMatch(/\bBuffer\b/);
  });

  it('the check sees a node: import where one is: faultline/ws, node-only, needs node:crypto', async () => {
    const { node } = await bundle(`export * from 'faultline/ws';`);
    expect(node).toContain('node:crypto');
  });
});
