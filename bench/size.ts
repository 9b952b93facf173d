import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { clientCatalogJSON } from 'faultline/client';
import { errors as demoErrors } from '../demo/catalog.js';

const root = resolve(import.meta.dirname, '..');

/** Minified, then gzipped (level 9), size of a browser bundle of `source`, an ES module as an app writes it. */
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

const demoJson = JSON.stringify(clientCatalogJSON(demoErrors.toJSON()));
const cases: [string, string][] = [
  ['ky 2 (ky)', `import ky from 'ky'; globalThis.x = ky;`],
  ['ofetch 1 (ofetch)', `import { ofetch } from 'ofetch'; globalThis.x = ofetch;`],
  [
    'faultline parse-only (parseErrorResponse)',
    `import { parseErrorResponse } from 'faultline/client'; globalThis.x = parseErrorResponse;`,
  ],
  [
    'faultline parse-only (parseErrorParts)',
    `import { parseErrorParts } from 'faultline/client'; globalThis.x = parseErrorParts;`,
  ],
  ['faultline createClient', `import { createClient } from 'faultline/client'; globalThis.x = createClient;`],
  [
    'faultline createClient + the demo catalog (clientCatalog of its clientCatalogJSON)',
    `import { clientCatalog, createClient } from 'faultline/client';
     globalThis.x = createClient({ baseUrl: '/', catalog: clientCatalog(${demoJson}) });`,
  ],
  [
    'ky 2 + kyApiErrors',
    `import ky from 'ky'; import { kyApiErrors } from 'faultline/client';
     globalThis.x = ky.create({ ...kyApiErrors() });`,
  ],
  [
    'ofetch 1 + ofetchApiErrors',
    `import { ofetch } from 'ofetch'; import { ofetchApiErrors } from 'faultline/client';
     globalThis.x = ofetchApiErrors(ofetch);`,
  ],
];

/** Bundle sizes of faultline's client entries beside ky's and ofetch's, in one run, with ratios to both. */
export async function benchSizes(): Promise<void> {
  const sizes = await Promise.all(cases.map(([, source]) => sizeOf(source)));
  const ky = sizes[0]!.gzip;
  const ofetch = sizes[1]!.gzip;
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
  console.log('\n## Browser bundle sizes (esbuild, browser, es2022, minified; gzip -9)\n');
  console.log('| bundle | minified | min+gzip | ÷ ky 2 | ÷ ofetch 1 |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  cases.forEach(([name], i) => {
    const { min, gzip } = sizes[i]!;
    console.log(
      `| ${name} | ${kib(min)} | ${kib(gzip)} | ${(gzip / ky).toFixed(2)}× | ${(gzip / ofetch).toFixed(2)}× |`,
    );
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSizes();
