/**
 * Contract integrity: for every code of the five seed catalogs and the demo, the body a server sends, the
 * reference page, the OpenAPI example and what `faultline/client` parses back all agree. The committed
 * reference page of each seed is the one its catalog renders today.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import type { Catalog } from 'faultline';
import { parseErrorParts, parseErrorResponse } from 'faultline/client';
import { renderMarkdown, renderOpenApi } from 'faultline/docs';
import type { ErrorFormat } from 'faultline/format';
import { createNodeErrors } from 'faultline/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors as demoErrors, demoFormat } from '../../demo/catalog.js';
import * as page000 from '../../examples/reference/000.js';
import * as page001 from '../../examples/reference/001.js';
import * as page002 from '../../examples/reference/002.js';
import * as page003 from '../../examples/reference/003.js';
import * as page004 from '../../examples/reference/004.js';

interface Contract {
  readonly name: string;
  readonly catalog: Catalog<any>;
  readonly format: ErrorFormat;
  /** The committed reference page, when the contract has one. */
  readonly page?: string;
}

const contracts: Contract[] = [
  { name: 'seed 000', catalog: page000.errors, format: page000.format, page: 'docs/seeds/000.md' },
  { name: 'seed 001', catalog: page001.errors, format: page001.format, page: 'docs/seeds/001.md' },
  { name: 'seed 002', catalog: page002.errors, format: page002.format, page: 'docs/seeds/002.md' },
  { name: 'seed 003', catalog: page003.errors, format: page003.format, page: 'docs/seeds/003.md' },
  { name: 'seed 004', catalog: page004.errors, format: page004.format, page: 'docs/seeds/004.md' },
  { name: 'demo', catalog: demoErrors, format: demoFormat, page: 'docs/demo-errors.md' },
];

const root = resolve(import.meta.dirname, '../..');
const correlation = 'contract-7f3a';

/** A server that answers `GET /<code>` with that code's error, as any route raising it would. */
function serverFor(contract: Contract): Server {
  const errors = createNodeErrors({
    catalog: contract.catalog,
    format: contract.format,
    instance: 'none',
    onError: false,
  });
  return createServer(
    errors((req) => {
      const code = decodeURIComponent((req.url ?? '/').slice(1));
      // A code with members carries them from its details; the page's example shows each as `<field>`.
      const members = contract.catalog.get(code)?.members;
      const details = members
        ? Object.fromEntries(Object.values(members).map((field) => [field, `<${field}>`]))
        : undefined;
      throw (contract.catalog.create as (code: string, details?: unknown) => Error)(code, details);
    }),
  );
}

/** The runtime body with the occurrence's correlation id taken out where the example has none. */
function alignCorrelation(runtime: unknown, example: unknown): unknown {
  if (Array.isArray(runtime))
    return runtime.map((item, i) => alignCorrelation(item, (example as unknown[])?.[i]));
  if (typeof runtime !== 'object' || runtime === null) return runtime;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(runtime)) {
    const other = (example as Record<string, unknown> | undefined)?.[key];
    if (value === correlation) {
      if (other === undefined) continue;
      if (other === null) {
        out[key] = null;
        continue;
      }
    }
    out[key] = alignCorrelation(value, other);
  }
  return out;
}

const servers = new Map<string, { server: Server; url: string }>();

beforeAll(async () => {
  for (const contract of contracts) {
    const server = serverFor(contract);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    servers.set(contract.name, {
      server,
      url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    });
  }
});

afterAll(() => {
  for (const { server } of servers.values()) server.close();
});

describe.each(contracts)('contract of $name', (contract) => {
  const { catalog, format } = contract;
  const openapi = renderOpenApi(catalog, { format }) as {
    paths?: unknown;
    components: { responses?: Record<string, unknown> };
  };
  const examples = new Map<string, unknown>();
  const collect = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (record.examples && typeof record.examples === 'object')
      for (const [code, example] of Object.entries(record.examples as Record<string, { value: unknown }>))
        examples.set(code, example.value);
    for (const value of Object.values(record)) collect(value);
  };
  collect(openapi);
  const markdown = renderMarkdown(catalog, { format, date: '2026-01-01' });

  it.each([...catalog.codes])(
    '%s: the runtime body, the page, the OpenAPI example and the client agree',
    async (code) => {
      const entry = catalog.get(code)!;
      const res = await fetch(`${servers.get(contract.name)!.url}/${encodeURIComponent(code)}`, {
        headers: { 'x-request-id': correlation },
      });
      const body = await res.clone().text();
      expect(res.status).toBe(entry.status);

      // The OpenAPI example of the code is the runtime body, less the occurrence's correlation id.
      expect(examples.has(code), `OpenAPI example of ${code}`).toBe(true);
      const example = examples.get(code);
      expect(alignCorrelation(JSON.parse(body), example)).toEqual(example);

      // The client reads back the code, status, id and message the catalog gives it.
      const parsed = await parseErrorResponse(res, { catalog, formats: [format] });
      expect({ code: parsed.code, status: parsed.status, id: parsed.id, message: parsed.message }).toEqual({
        code,
        status: entry.status,
        id: entry.id,
        message: entry.message,
      });

      // The reference page lists the code with its status and message.
      const row = markdown.split('\n').find((line) => line.includes(`id="${code}"`));
      expect(row, `row of ${code} on the page`).toBeDefined();
      expect(row).toContain(`| ${entry.status} |`);
      if (entry.id !== undefined) expect(row).toContain(`| ${entry.id} |`);
    },
  );

  it('shows the example body the server sends for its validation code', async () => {
    const example = /```json\n([\s\S]*?)\n```/.exec(markdown)?.[1];
    expect(example).toBeDefined();
    const shown = JSON.parse(example!);
    const validation = catalog.builtins.validationFailed;
    const status = catalog.get(validation)!.status;
    const parsed = await parseErrorParts(
      { status, headers: {}, body: example! },
      { formats: [format], catalog },
    );
    expect(parsed.code === validation || catalog.byMessage(parsed.message)?.code === validation).toBe(true);
    const error = (catalog.create as (code: string, d: undefined, o: object) => never)(
      validation,
      undefined,
      {
        correlationId: parsed.correlationId,
        fieldErrors: parsed.fieldErrors,
      },
    );
    const runtime = createNodeErrors({ catalog, format, instance: 'none', onError: false }).handler.render(
      error,
      {},
    );
    expect(JSON.parse(runtime.body)).toEqual(shown);
  });

  if (contract.page) {
    it(`is the committed reference page ${contract.page}`, () => {
      const committed = readFileSync(resolve(root, contract.page!), 'utf8');
      const date = /generated (\d{4}-\d{2}-\d{2})/.exec(committed)?.[1];
      expect(committed).toBe(renderMarkdown(catalog, { format, ...(date ? { date } : {}) }));
    });
  }
});
