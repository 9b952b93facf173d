import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { createNodeErrors, createRouter } from 'faultline/node';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { close, listen } from '../helpers/http.js';
import { errors } from './browser-client/catalog.js';

const root = resolve(import.meta.dirname, '../..');
const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Bundles an entry for the browser; any import of a Node built-in is recorded instead of resolved. */
async function bundleForBrowser(entry: string, minify = false) {
  const builtins: string[] = [];
  const refuseBuiltins: Plugin = {
    name: 'refuse-node-builtins',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (!nodeBuiltins.has(args.path)) return undefined;
        builtins.push(`${args.path} (from ${args.importer.replace(`${root}/`, '')})`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify,
    write: false,
    metafile: true,
    conditions: ['faultline-source'],
    plugins: [refuseBuiltins],
    logLevel: 'silent',
  });
  return {
    text: result.outputFiles[0]!.text,
    inputs: Object.keys(result.metafile.inputs),
    builtins,
  };
}

describe('faultline/client in the browser bundle', () => {
  it('imports no Node built-in and uses no Buffer or process anywhere in its import graph', async () => {
    const { text, inputs, builtins } = await bundleForBrowser(resolve(root, 'src/client/index.ts'));
    expect(builtins).toEqual([]);
    expect(inputs.some((input) => input.startsWith('src/format/'))).toBe(true);
    expect(text).not.toMatch(/\bBuffer\b/);
    expect(text).not.toMatch(/\bprocess\s*\./);
    expect(text).not.toMatch(/\brequire\s*\(/);
  });
});

// The API, on one origin: faultline on node:http, with the CORS answers a browser needs. Browsers hide
// response headers from scripts unless they are exposed: without `Retry-After` here, no client can honour it.
const exposed = ['Retry-After', 'RateLimit', 'RateLimit-Policy', 'X-Request-Id'];
let pageOrigin = '';
const hits: Record<string, number> = {};

function cors(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader('access-control-allow-origin', pageOrigin);
  res.setHeader('access-control-expose-headers', exposed.join(', '));
  res.setHeader('vary', 'Origin');
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
    'access-control-allow-headers': 'content-type, idempotency-key, x-request-id',
    'access-control-max-age': '600',
  });
  res.end();
  return true;
}

const routes = createRouter()
  .get('/sessions/:id', (_req, _res, { params }) => {
    throw errors.create('SESSION_NOT_FOUND', { sessionId: params.id! });
  })
  .get('/limited', () => {
    hits.limited = (hits.limited ?? 0) + 1;
    if (hits.limited === 1)
      throw errors.create('RATE_LIMITED', undefined, { headers: { 'Retry-After': '1' } });
    return { ok: true, attempt: hits.limited };
  })
  .get('/always-limited', () => {
    hits.always = (hits.always ?? 0) + 1;
    throw errors.create('RATE_LIMITED', undefined, { headers: { 'Retry-After': '50' } });
  });
const faultline = createNodeErrors({ catalog: errors, onError: false });
const handle = faultline(routes.handle);
const api = createServer((req, res) => {
  if (cors(req, res)) return;
  if (req.url === '/proxy') {
    // What a reverse proxy answers when the API is down: HTML, not the API's format.
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>');
    return;
  }
  void handle(req, res);
});

// The page, on another origin: the client bundled by esbuild for the browser, loaded as an ES module.
let pageScript = '';
const pages = createServer((req, res) => {
  if (req.url === '/page.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(pageScript);
  } else {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>client</title><script type="module" src="/page.js"></script>');
  }
});

let apiBase = '';
let browser: Browser;

beforeAll(async () => {
  const bundle = await bundleForBrowser(resolve(import.meta.dirname, 'browser-client/page.ts'));
  expect(bundle.builtins).toEqual([]);
  pageScript = bundle.text;
  apiBase = await listen(api);
  pageOrigin = await listen(pages);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await close(api);
  await close(pages);
});

type Scenario = 'typed' | 'retried' | 'aborted' | 'proxy';

async function run(scenario: Scenario): Promise<Record<string, unknown>> {
  const page = await browser.newPage();
  const failures: string[] = [];
  page.on('pageerror', (error) => failures.push(error.message));
  try {
    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction(() => 'scenarios' in globalThis, undefined, { timeout: 5000 });
    const result = await page.evaluate(
      ([name, base]) =>
        (globalThis as unknown as { scenarios: Record<string, (base: string) => Promise<unknown>> })
          .scenarios[name]!(base),
      [scenario, apiBase] as const,
    );
    expect(failures).toEqual([]);
    return result as Record<string, unknown>;
  } finally {
    await page.close();
  }
}

describe('faultline/client in Chromium, against a faultline server on another origin', () => {
  it('narrows a catalog error by code, with its status and details', async () => {
    expect(await run('typed')).toMatchObject({
      thrown: true,
      narrowed: true,
      code: 'SESSION_NOT_FOUND',
      status: 404,
      sessionId: 'abc',
      message: 'Session abc not found',
      correlationId: expect.stringMatching(/\S/),
    });
  });

  it('retries a 429 after its Retry-After, which the server exposes to the page', async () => {
    hits.limited = 0;
    const result = await run('retried');
    expect(result).toEqual({ data: { ok: true, attempt: 2 }, delays: [429, 1000] });
    expect(hits.limited).toBe(2);
  });

  it('rejects at once with the abort reason when aborted during the wait', async () => {
    hits.always = 0;
    const result = await run('aborted');
    // The server asked for 50 s; the test's own 20 s limit fails it if the wait is not cut short.
    expect(result).toMatchObject({ rejected: true, name: 'AbortError' });
    expect(hits.always).toBe(1);
  });

  it('turns an HTML proxy page into a typed error of unknown code, with the raw body kept', async () => {
    // Typed as the status's code for logs and retries, but no answer of the API: `api.is` never matches it.
    expect(await run('proxy')).toEqual({
      known: false,
      isApiError: false,
      instance: true,
      code: 'BAD_GATEWAY',
      status: 502,
      rawBody: '<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>',
    });
  });
});
