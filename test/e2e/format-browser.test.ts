import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';

const root = resolve(import.meta.dirname, '../..');
const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Bundles faultline/format for the browser as one script; imports of Node built-ins are recorded. */
async function bundleFormat() {
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
    entryPoints: [resolve(root, 'src/format/index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'faultlineFormat',
    target: 'es2022',
    write: false,
    metafile: true,
    conditions: ['faultline-source'],
    plugins: [refuseBuiltins],
    logLevel: 'silent',
  });
  return { text: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs), builtins };
}

let bundle: Awaited<ReturnType<typeof bundleFormat>>;
let browser: Browser;

beforeAll(async () => {
  bundle = await bundleFormat();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe('faultline/format on Web globals only', () => {
  it('imports no Node built-in and uses no Buffer, process or require in its import graph', () => {
    expect(bundle.builtins).toEqual([]);
    expect(
      bundle.inputs.every((input) => input.startsWith('src/format/') || input.startsWith('src/catalog/')),
    ).toBe(true);
    expect(bundle.text).not.toMatch(/\bBuffer\b/);
    expect(bundle.text).not.toMatch(/\bprocess\s*\./);
    expect(bundle.text).not.toMatch(/\brequire\s*\(/);
  });

  it('serializes and parses every common format in Chromium, byte for byte as in Node', async () => {
    const page = await browser.newPage();
    try {
      await page.addScriptTag({ content: bundle.text });
      const view = {
        code: 'VALIDATION_FAILED',
        status: 400,
        message: 'Naïve “quotes” \u2028 and a lone \ud800 surrogate',
        category: 'VALIDATION',
        retryable: false,
        correlationId: 'req-1',
        fieldErrors: [{ pointer: '/emails/0', detail: 'Invalid e-mail' }],
        details: { limit: 3 },
      };
      type Result = { name: string; body: string; bytes: number; parsed: unknown };
      const inBrowser: Result[] = await page.evaluate((v) => {
        const f = (globalThis as any).faultlineFormat;
        return Object.values(f.commonFormats).map((format: any) => {
          const body = format.serialize(v);
          return {
            name: format.name,
            body,
            bytes: new TextEncoder().encode(body).length,
            parsed: format.parse(JSON.parse(body)),
          };
        });
      }, view);
      const format = await import('faultline/format');
      const formats = Object.values(format.commonFormats);
      expect(inBrowser.map((r) => r.name)).toEqual(formats.map((f) => f.name));
      for (const result of inBrowser) {
        const here = formats.find((f) => f.name === result.name)!;
        const body = here.serialize(view);
        expect(result.body, result.name).toBe(body);
        expect(result.bytes, result.name).toBe(new TextEncoder().encode(body).length);
        expect(result.parsed, result.name).toBeDefined();
        expect(result.parsed, result.name).toEqual(here.parse(JSON.parse(body)));
      }
    } finally {
      await page.close();
    }
  });
});
