import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import express from 'express';
import { rateLimit as expressRateLimit } from 'express-rate-limit';
import Fastify from 'fastify';
import { createClient, kyApiErrors } from 'faultline/client';
import ky from 'ky';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo } from '../../demo/app.js';
import { demoFormat, errors } from '../../demo/catalog.js';
import { close, listen } from '../helpers/http.js';

// The demo app's key, made per run: the demo takes no key written in the repository.
const demoKey = randomBytes(24).toString('base64url');
const apps = { 'demo-app': demoKey };

function recorder() {
  const delays: number[] = [];
  return { delays, beforeRetry: ({ delay }: { delay: number }) => void delays.push(delay) };
}

describe('the client against the demo API', () => {
  const { server } = createDemo({ logger: false, apps });
  let base = '';
  beforeAll(async () => {
    base = await listen(server);
  });
  afterAll(() => close(server));

  it('throws the demo catalog errors, typed, from its own envelope', async () => {
    const api = createClient({
      baseUrl: base,
      catalog: errors,
      formats: [demoFormat],
      headers: { 'x-app-id': 'demo-app', 'x-api-key': demoKey },
    });
    const { error } = await api.safe.get('/v1/sessions/nope');
    expect(api.is(error, 'SESSION_NOT_FOUND') && error.details?.sessionId).toBe('nope');
    expect(error).toMatchObject({ status: 404, id: 3001, attempts: 1 });
    expect((error as { correlationId?: string }).correlationId).toMatch(/^[0-9a-f-]{36}$/);
    const created = await api.post<{ id: string }>('/v1/sessions', { json: { from: '+1', to: '+2' } });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('branches on renamed built-ins and field errors', async () => {
    const api = createClient({
      baseUrl: base,
      catalog: errors,
      formats: [demoFormat],
      headers: { 'x-app-id': 'demo-app', 'x-api-key': demoKey },
    });
    const { error } = await api.safe.post('/v1/sessions', { json: { from: 1 } });
    if (!api.is(error, 'SCHEMA_VALIDATION_FAILED')) throw new Error('expected SCHEMA_VALIDATION_FAILED');
    expect(error.fieldErrors?.map((f) => f.pointer)).toEqual(['/from', '/to']);
    const wrongKey = await api.safe.get('/v1/sessions/x', { headers: { 'x-api-key': 'nope' } });
    expect(api.is(wrongKey.error, 'INVALID_API_KEY')).toBe(true);
  });
});

describe('the client against Fastify with @fastify/rate-limit', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    const app = Fastify();
    await app.register(rateLimit, { max: 1, timeWindow: 1000 });
    app.get('/limited', async () => ({ ok: true }));
    await app.ready();
    server = app.server;
    base = await listen(server);
  });
  afterAll(() => close(server));

  it('honours its 429 and Retry-After, then succeeds', async () => {
    const { delays, beforeRetry } = recorder();
    const api = createClient({ baseUrl: base, retry: { beforeRetry } });
    expect(await api.get('/limited')).toEqual({ ok: true });
    expect(await api.get('/limited')).toEqual({ ok: true });
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThan(0);
    expect(delays[0]).toBeLessThanOrEqual(1000);
  });

  it('reports its 429 as RATE_LIMITED with retryAfter when retries are off', async () => {
    const api = createClient({ baseUrl: base, retry: false });
    await api.safe.get('/limited');
    const { error } = await api.safe.get('/limited');
    expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, attempts: 1 });
    expect((error as { retryAfter?: number }).retryAfter).toBeGreaterThan(0);
  });
});

describe('the client against Express with express-rate-limit', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    const app = express();
    app.use(expressRateLimit({ windowMs: 1000, limit: 1, standardHeaders: 'draft-8', legacyHeaders: false }));
    app.get('/limited', (_req, res) => {
      res.json({ ok: true });
    });
    server = createServer(app);
    base = await listen(server);
  });
  afterAll(() => close(server));

  it('honours its 429 and standard RateLimit headers, then succeeds', async () => {
    const { delays, beforeRetry } = recorder();
    const api = createClient({ baseUrl: base, retry: { beforeRetry } });
    expect(await api.get('/limited')).toEqual({ ok: true });
    expect(await api.get('/limited')).toEqual({ ok: true });
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeLessThanOrEqual(1000);
  });

  it('never retries its 429 for a POST without an idempotency key when keys are off', async () => {
    const api = createClient({ baseUrl: base, retry: { idempotencyKeys: false } });
    await api.safe.post('/limited');
    const { error } = await api.safe.post('/limited');
    expect(error).toMatchObject({ status: 429, attempts: 1 });
  });
});

describe('kyApiErrors: ky 2 against the demo API', () => {
  const { server } = createDemo({ logger: false, apps });
  let base = '';
  beforeAll(async () => {
    base = await listen(server);
  });
  afterAll(() => close(server));

  it('rejects with the demo catalog’s typed error, read from its own envelope', async () => {
    const kyApi = ky.create({
      baseUrl: base,
      headers: { 'x-app-id': 'demo-app', 'x-api-key': demoKey },
      ...kyApiErrors({ catalog: errors, formats: [demoFormat] }),
    });
    const error = await kyApi.get('v1/conferences/none').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(errors.is(error, 'ROOM_NOT_FOUND') && error.details.roomId).toBe('none');
    expect(error).toMatchObject({ status: 404, attempts: 1 });
  });
});
