import { createServer } from 'node:http';
import { defineErrors } from 'faultline';
import { clientCatalog, clientCatalogJSON, createClient, parseErrorParts } from 'faultline/client';
import { commonFormats } from 'faultline/format';
import { createNodeErrors, createRouter } from 'faultline/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { close, listen } from '../helpers/http.js';

const errors = defineErrors(
  {
    SESSION_NOT_FOUND: {
      status: 404,
      message: 'Session {sessionId} not found',
      details: z.object({ sessionId: z.string() }),
      description: 'Server-side prose that stays on the server.',
    },
    OVERLOADED: { status: 503, message: 'Try again later', retryable: false },
  },
  { rename: { NOT_FOUND: 'MISSING' } },
);

const routes = createRouter().get('/sessions/:id', (_req, _res, { params }) => {
  throw errors.create('SESSION_NOT_FOUND', { sessionId: params.id! });
});
const handle = createNodeErrors({ catalog: errors, onError: false })(routes.handle);
const server = createServer((req, res) => void handle(req, res));
let base = '';
beforeAll(async () => {
  base = await listen(server);
});
afterAll(() => close(server));

describe('clientCatalog: the catalog a browser gets from its JSON, without schemas or prose', () => {
  it.each([
    ['renamed codes', errors],
    ['omitted codes', defineErrors({}, { omit: ['API_KEY_MISSING', 'IDEMPOTENCY_KEY_REUSED', 'GONE'] })],
    ['omitted generic codes', defineErrors({}, { omit: ['UNPROCESSABLE_ENTITY', 'PAYMENT_REQUIRED'] })],
    ['WebSocket codes', defineErrors({}, { rename: { BAD_REQUEST: 'INVALID' } })],
  ])('names the same code for every built-in mechanism as the catalog itself (%s)', (_, source) => {
    const client = clientCatalog(JSON.parse(JSON.stringify(clientCatalogJSON(source.toJSON()))));
    expect(client.builtins).toEqual(source.builtins);
  });

  const json = clientCatalogJSON(errors.toJSON());
  const catalog = clientCatalog<typeof errors>(JSON.parse(JSON.stringify(json)));

  it('keeps what a client reads and drops the prose', () => {
    const entry = json.entries.find((e) => e.code === 'SESSION_NOT_FOUND')!;
    expect(entry).toMatchObject({ status: 404, message: 'Session {sessionId} not found' });
    expect(entry.description).toBeUndefined();
    expect(catalog.builtins.notFound).toBe('MISSING');
    expect(catalog.builtins).toEqual(errors.builtins);
    expect(catalog.builtins.idempotencyInFlight).toBe(errors.builtins.idempotencyInFlight);
    expect(catalog.get('OVERLOADED')).toMatchObject({ status: 503, retryable: false });
  });

  it('types and narrows a server’s error as the catalog itself does', async () => {
    const api = createClient({ baseUrl: base, catalog, retry: false });
    const { error } = await api.safe.get('/sessions/abc');
    expect(api.is(error, 'SESSION_NOT_FOUND') && error.details?.sessionId).toBe('abc');
    expect(catalog.is(error)).toBe(true);
  });

  it('maps a message-only body to its code, with the template’s values read back', async () => {
    const error = await parseErrorParts(
      { status: 404, headers: {}, body: { success: false, error: 'Session xyz not found' } },
      { catalog, formats: [commonFormats.message] },
    );
    expect(catalog.is(error, 'SESSION_NOT_FOUND') && error.details).toEqual({ sessionId: 'xyz' });
  });

  it('honours a code the JSON marks not retryable', async () => {
    let hits = 0;
    const api = createClient({
      baseUrl: 'http://127.0.0.1:9',
      catalog,
      fetch: async () => {
        hits++;
        return new Response(JSON.stringify({ code: 'OVERLOADED', message: 'Try again later' }), {
          status: 503,
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    expect(await api.safe.get('/x')).toMatchObject({ error: { code: 'OVERLOADED', attempts: 1 } });
    expect(hits).toBe(1);
  });
});
