import { clientCatalogJSON } from 'faultline/client';
import { describe, expect, it } from 'vitest';
import { errors as demoErrors } from '../../demo/catalog.js';
import { bundleSource } from './browser-client/bundle.js';

const KiB = 1024;

// Sizes, not timings: a bundle is the same bytes on every machine, so its bounds are asserted.
describe('what the browser downloads for faultline/client (esbuild, minified, gzip -9)', () => {
  it.each([
    // Reading only a whole body as an answer, and HTTP-dates only in their strict forms, cost about 160 B;
    // reading hostile bodies safely (a literal walked along the declaration, a body no reader can walk read as
    // the status's answer, RateLimit strings blanked in one pass, no Set-Cookie kept) about 160 B more;
    // refusing a problem type in a scheme that runs (`javascript:`), about 60 B; reading an error nested past
    // 256 levels as its status's answer (so that it serializes) and filling the entry's template, about 125 B.
    ['parseErrorResponse', 4.6],
    ['parseErrorParts', 4.65],
  ])(
    'the parse-only entry %s: no catalog prose, config messages, schema code, serializers or ws fields; at most %s KiB',
    async (name, bound) => {
      const { gzip, inputs, builtins } = await bundleSource(
        `import { ${name} } from 'faultline/client'; globalThis.x = ${name};`,
      );
      expect(builtins).toEqual([]);
      const shipped = inputs.filter((input) => !input.startsWith('<'));
      for (const serverOnly of [
        'src/catalog/standard.ts',
        'src/catalog/builtin-prose.ts',
        'src/catalog/config-error.ts',
        'src/catalog/define-errors.ts',
        'src/catalog/json-schema.ts',
        'src/format/serialize.ts',
        'src/format/event-fields.ts',
        'src/format/fields.ts',
      ])
        expect(shipped, serverOnly).not.toContain(serverOnly);
      expect(gzip).toBeLessThanOrEqual(bound * KiB);
    },
  );

  it('createClient, with its retries, budget and timeouts: at most 8 KiB', async () => {
    const { gzip, builtins } = await bundleSource(
      `import { createClient } from 'faultline/client'; globalThis.x = createClient;`,
    );
    expect(builtins).toEqual([]);
    expect(gzip).toBeLessThanOrEqual(8 * KiB);
  });

  it('the demo catalog for the browser, from its JSON: no Node built-in, no schema, a few KiB', async () => {
    const json = JSON.stringify(clientCatalogJSON(demoErrors.toJSON()));
    const { gzip, builtins, inputs } = await bundleSource(
      `import { clientCatalog, createClient } from 'faultline/client';
       const catalog = clientCatalog(${json});
       globalThis.x = createClient({ baseUrl: 'https://api.example.com', catalog });`,
    );
    expect(builtins).toEqual([]);
    expect(inputs.some((input) => input.includes('node_modules/zod'))).toBe(false);
    // The catalog bundled as it is (zod schemas, prose and all) is 44 kB gzip.
    expect(gzip).toBeLessThanOrEqual(12 * KiB);
  });

  it('a catalog module that spreads wsDefinitions bundles without node:crypto', async () => {
    const { builtins } = await bundleSource(
      `import { defineErrors, wsDefinitions } from 'faultline';
       import { createClient } from 'faultline/client';
       const errors = defineErrors({ ...wsDefinitions, ROOM_FULL: { status: 409, message: 'Room full' } });
       globalThis.x = createClient({ baseUrl: 'https://api.example.com', catalog: errors });`,
    );
    expect(builtins).toEqual([]);
  });
});
