/**
 * The WebSocket contract: for every code of the demo and seed catalogs that can travel over a socket, the
 * event a real endpoint sends, the example the reference page shows (`sampleEvent`, what the docs render) and
 * what `faultline/client` parses back agree; the built-in mechanisms answer with the catalog's own codes;
 * page 000's close codes are classified as its page says, and 1000 and 1006 are what a client really sees.
 */
import { type ApiError, type Catalog, type CatalogEntry, wsDefinitions } from 'faultline';
import { connectSocket, type WebSocketConstructor } from 'faultline/client';
import { renderHtml, renderMarkdown, sampleEvent } from 'faultline/docs';
import type { ErrorFormat } from 'faultline/format';
import { wsBehaviourOf } from 'faultline/ws';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { errors as demoErrors } from '../../demo/catalog.js';
import { demoEvent } from '../../demo/ws.js';
import * as page000 from '../../examples/reference/000.js';
import * as page001 from '../../examples/reference/001.js';
import { event as seed001Event } from '../../examples/seeds/001/catalog.js';
import { type Served, serve } from './ws-helpers.js';

interface Contract {
  readonly name: string;
  readonly catalog: Catalog<any>;
  readonly event: ErrorFormat;
}

const contracts: Contract[] = [
  { name: 'demo', catalog: demoErrors, event: demoEvent },
  { name: 'seed 000', catalog: page000.errors, event: page000.format },
  { name: 'seed 001', catalog: page001.errors, event: seed001Event },
];

const handshakeRoles = ['connectionLimit', 'upgradeRequired'];
// The WebSocket mechanisms of the one role table: each `wsDefinitions` code claims its own.
const wsRoleNames: string[] = Object.values(wsDefinitions).flatMap((entry) => [...entry.roles]);

/** The codes that can arrive as an error event: entries with a `ws` block raised in a session, validation, internal. */
function eventCodes(catalog: Catalog<any>): string[] {
  const codes = new Set<string>();
  for (const code of catalog.codes) {
    const entry = catalog.entries[code] as CatalogEntry;
    const claimsWs = entry.roles.some((r) => wsRoleNames.includes(r));
    if ((entry.ws === undefined && !claimsWs) || entry.roles.some((r) => handshakeRoles.includes(r)))
      continue;
    codes.add(code);
  }
  codes.add(catalog.builtins.validationFailed);
  codes.add(catalog.builtins.internalError);
  return [...codes];
}

function sampleDetails(entry: CatalogEntry): Record<string, string> | undefined {
  if (entry.template.placeholders.length === 0) return undefined;
  return Object.fromEntries(entry.template.placeholders.map((p) => [p, `SAMPLE_${p.toUpperCase()}`]));
}

const served: Served<any>[] = [];
afterAll(async () => {
  await Promise.all(served.map((s) => s.close()));
});

async function endpointFor(contract: Contract, extra: Record<string, unknown> = {}) {
  const s = await serve({
    errors: { catalog: contract.catalog, logger: false },
    event: contract.event,
    messages: { serverOnly: ['server_only'], maxBytes: 4096 },
    on: {
      raise: (m: { code: string; details?: unknown }) => {
        throw (contract.catalog.create as (code: string, details?: unknown) => Error)(m.code, m.details);
      },
      ping: () => {},
    },
    ...extra,
  });
  served.push(s);
  return s;
}

interface Exchange {
  /** The raw error events off the wire, parsed as JSON. */
  wire: unknown[];
  errors: ApiError[];
  close?: { code: number; decision: string; error: ApiError | undefined };
}

/** Connects `faultline/client` through a `ws` socket that also records the raw frames, sends, and waits. */
async function exchange(
  url: string,
  contract: Contract,
  send: (string | object)[],
  until: (seen: Exchange) => boolean,
  socketOptions: WebSocket.ClientOptions = {},
): Promise<Exchange> {
  const seen: Exchange = { wire: [], errors: [] };
  class Recording extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, socketOptions);
      this.on('message', (data) => {
        const parsed = JSON.parse(String(data));
        if (contract.event.match(parsed) > 0) seen.wire.push(parsed);
      });
    }
  }
  const client = connectSocket(url, {
    WebSocket: Recording as unknown as WebSocketConstructor,
    catalog: contract.catalog,
    event: contract.event,
    // A reconnect far off: the decision is the catalog's, and closing the client cancels it.
    reconnect: { base: 600_000, cap: 600_000 },
  });
  client.on('error', (e) => seen.errors.push(e));
  client.on('close', (error, decision, info) => {
    seen.close = { code: info.code, decision, error };
  });
  await new Promise<void>((resolve) => client.on('open', resolve));
  for (const message of send) client.send(message);
  for (let i = 0; i < 300 && !until(seen); i++) await new Promise((r) => setTimeout(r, 10));
  client.close();
  return seen;
}

describe.each(contracts)('$name over WebSocket', (contract) => {
  const { catalog, event } = contract;

  it.each(eventCodes(catalog))(
    '%s: the runtime event, the docs example and the client agree',
    async (code) => {
      const entry = catalog.get(code) as CatalogEntry;
      const { url } = await endpointFor(contract);
      const details = sampleDetails(entry);
      const message = { type: 'raise', id: 'c1', code, details, metadata: { custom: 'value' } };
      const seen = await exchange(url, contract, [message], (s) => s.errors.length > 0);
      expect(seen.wire).toHaveLength(1);
      const runtime = seen.wire[0];
      const parsed = event.parse(runtime)!;
      // The docs' example of this code, with this occurrence's event id, time and correlation id.
      const example = sampleEvent(entry, event, {
        eventId: parsed.eventId as string | undefined,
        timestamp: parsed.timestamp as number | undefined,
        correlationId: parsed.correlationId,
        event: message,
        details,
        retryAfter: parsed.retryAfter as number | undefined,
      });
      expect(runtime).toEqual(example);
      const error = seen.errors[0]!;
      expect(error.code).toBe(code);
      expect(error.status).toBe(entry.status);
      expect(error.message).toBe(entry.template.render(details));
      if (details) expect(error.details).toEqual(details);
      // A raise that closes: the close names the same code and the catalog's reconnect advice.
      if (wsBehaviourOf(entry).closesOnRaise) {
        for (let i = 0; i < 100 && seen.close === undefined; i++) await new Promise((r) => setTimeout(r, 10));
        expect(seen.close?.code).toBe(wsBehaviourOf(entry).closeCode);
        expect(seen.close?.error?.code).toBe(code);
      }
    },
  );

  it('shows on its reference page, Markdown and HTML, the example event its endpoint sends', () => {
    const page = renderMarkdown(catalog, { websocket: { event } });
    const block =
      /## WebSocket error event\n\nThe error event for `([^`]+)`[^\n]*\n\n```json\n([\s\S]*?)\n```/.exec(
        page,
      );
    expect(block).not.toBeNull();
    const example = sampleEvent(catalog.get(block![1]!) as CatalogEntry, event);
    expect(JSON.parse(block![2]!)).toEqual(example);
    const html = renderHtml(catalog, { websocket: { event } });
    expect(html).toContain('WebSocket error event');
    expect(html).toContain(JSON.stringify(example, null, 2).replaceAll('<', '&lt;').replaceAll('>', '&gt;'));
  });

  it("answers the built-in mechanisms with the catalog's own codes, which the client reads back", async () => {
    const { url } = await endpointFor(contract);
    const sent: (string | object)[] = [
      '{not json',
      { type: 'nope', id: 'c2' },
      { type: 'server_only', id: 'c3' },
      { type: 'ping', padding: 'x'.repeat(5000) },
    ];
    const seen = await exchange(url, contract, sent, (s) => s.errors.length >= sent.length);
    expect(seen.errors).toHaveLength(sent.length);
    const roles = ['messageMalformed', 'messageTypeUnknown', 'messageTypeNotAllowed', 'messageTooLarge'];
    seen.errors.forEach((error, i) => {
      // The catalog's answer for each mechanism is the code its role table names.
      const expected = catalog.builtins[roles[i] as keyof typeof catalog.builtins];
      // A catalog that names no code for a mechanism answers with its HTTP built-in of the same meaning.
      if (expected) expect(error.code).toBe(expected);
      expect(event.parse(seen.wire[i])).toBeDefined();
      const entry = catalog.get(error.code);
      expect(entry, `${error.code} is in the catalog`).toBeDefined();
      expect(error.status).toBe(entry!.status);
      expect(error.message).toBe(entry!.template.render(error.details));
    });
  });

  it('reads an event over the message rate back to its code, with the wait', async () => {
    const { url } = await endpointFor(contract, {
      limits: { rate: { limit: 1, window: 60_000, over: 'event' } },
    });
    const seen = await exchange(
      url,
      contract,
      [{ type: 'ping' }, { type: 'ping' }],
      (s) => s.errors.length > 0,
    );
    const rateCode = catalog.builtins.messageRateLimited;
    expect(seen.errors[0]?.code).toBe(rateCode);
    expect(seen.errors[0]?.status).toBe(429);
  });
});

describe("page 000's close codes", () => {
  const contract = contracts[1]!;
  const page = renderMarkdown(page000.errors, { format: page000.format });
  const tables = page.slice(page.indexOf('## WebSocket close codes'));

  it('documents every row of the table, observed-only ones marked, with the advice the client follows', () => {
    const advice: Record<string, string> = {
      never: 'No',
      backoff: 'Yes, with backoff',
      afterAuth: 'After refreshing credentials',
      immediate: 'Yes, at once',
    };
    for (const row of page000.errors.closeCodes) {
      const line = tables.split('\n').find((l) => l.startsWith(`| ${row.code} |`));
      expect(line, `row ${row.code}`).toBeDefined();
      expect(line).toContain(row.name);
      expect(line).toContain(row.kind === 'observed' ? 'observed only' : 'server');
      expect(line).toContain(advice[row.reconnect]);
    }
    expect(tables).toMatch(/\| 408 \| Pong timeout \|/);
  });

  it('is 1000 on a normal close and 1006 when the server cuts a client that stops answering pings', async () => {
    const normal = await endpointFor(contract, {
      on: { bye: (_m: unknown, conn: { close(code: number): void }) => conn.close(1000) },
    });
    const clean = await exchange(normal.url, contract, [{ type: 'bye' }], (s) => s.close !== undefined);
    expect(clean.close).toMatchObject({ code: 1000, decision: 'stop', error: undefined });

    const beating = await endpointFor(contract, { limits: { heartbeat: 40 } });
    const cut = await exchange(beating.url, contract, [], (s) => s.close !== undefined, { autoPong: false });
    expect(cut.close?.code).toBe(1006);
    // The page's row says to reconnect with backoff; the client's decision is the page's.
    expect(cut.close?.decision).toBe('backoff');
    expect(cut.close?.error?.message).toBe('Abnormal closure');
  });
});
