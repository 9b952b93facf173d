import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');

/** Minified, then gzipped, size of a browser bundle of `source` (an ES module importing what an app would). */
async function sizeOf(source: string): Promise<{ min: number; gzip: number }> {
  const result = await build({
    stdin: { contents: source, resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    conditions: ['faultline-source'],
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

/**
 * Bundle sizes of the browser client beside ky's, for the same features: a fetch wrapper with retries
 * (Retry-After, backoff), timeouts and JSON, used from a page.
 */
export async function benchClientBundle(): Promise<void> {
  const cases: [string, string][] = [
    ['ky (ky())', `import ky from 'ky'; globalThis.x = ky;`],
    [
      'faultline/client (createClient)',
      `import { createClient } from 'faultline/client'; globalThis.x = createClient;`,
    ],
    [
      'faultline/client + a catalog (createClient, defineErrors)',
      `import { createClient } from 'faultline/client'; import { defineErrors } from 'faultline'; globalThis.x = [createClient, defineErrors];`,
    ],
    [
      'ky + faultline parseErrorResponse (typed errors as a ky hook)',
      `import ky from 'ky'; import { parseErrorResponse } from 'faultline/client'; globalThis.x = [ky, parseErrorResponse];`,
    ],
  ];
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  console.log('\n## Client bundle size (esbuild, browser, minified; gzip -9)\n');
  console.log('| bundle | minified | min+gzip | gzip ratio to ky |');
  console.log('| --- | ---: | ---: | ---: |');
  const sizes = await Promise.all(cases.map(([, source]) => sizeOf(source)));
  const ky = sizes[0]!;
  cases.forEach(([name], i) => {
    const size = sizes[i]!;
    console.log(`| ${name} | ${kb(size.min)} | ${kb(size.gzip)} | ${(size.gzip / ky.gzip).toFixed(2)}× |`);
  });
}
