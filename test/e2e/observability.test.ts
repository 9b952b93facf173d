import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import Fastify, { type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { defineErrors } from 'faultline';
import { createExpressErrors } from 'faultline/express';
import { createFastifyErrors } from 'faultline/fastify';
import { commonFormats } from 'faultline/format';
import { createHonoErrors } from 'faultline/hono';
import { createNodeErrors } from 'faultline/node';
import type { ErrorEvent } from 'faultline/server';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { close, listen } from '../helpers/http.js';

const catalog = defineErrors({
  ORDER_NOT_FOUND: { status: 404, message: 'No such order' },
});

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const validTraceparent = `00-${traceId}-00f067aa0ba902b7-01`;

/** Lines a Fastify logger writes, parsed. */
function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { lines, stream };
}

function stderrSpy() {
  return vi.spyOn(console, 'error').mockImplementation(() => {});
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Fastify: the framework request id, logger and objects', () => {
  async function app(
    options: Parameters<typeof createFastifyErrors>[0] = {},
    fastifyOptions: FastifyServerOptions = {},
  ) {
    const log = captureLog();
    let n = 0;
    const fastify = Fastify({
      logger: { stream: log.stream, level: 'info' },
      genReqId: () => `fst-${++n}`,
      ...fastifyOptions,
    });
    await fastify.register(createFastifyErrors(options));
    fastify.get('/boom', () => {
      throw new Error('database password is hunter2');
    });
    fastify.get('/missing', () => {
      throw catalog.create('ORDER_NOT_FOUND');
    });
    await fastify.ready();
    return { fastify, log };
  }

  it('answers and logs with the request.id Fastify chose, through request.log, and nothing on stderr', async () => {
    const stderr = stderrSpy();
    const { fastify, log } = await app({ catalog });
    const response = await fastify.inject({ url: '/boom', headers: { 'x-request-id': 'from-client' } });
    expect(response.statusCode).toBe(500);
    expect(response.json().correlation_id).toBe('fst-1');
    expect(response.headers['x-request-id']).toBe('fst-1');
    const line = log.lines.find((l) => l.msg === 'unexpected error answered 500');
    expect(line).toMatchObject({ level: 50, reqId: 'fst-1', correlationId: 'fst-1', code: 'INTERNAL_ERROR' });
    expect(JSON.stringify(response.json())).not.toContain('hunter2');
    expect(stderr).not.toHaveBeenCalled();
    await fastify.close();
  });

  it('an explicit logger option still wins over request.log', async () => {
    const records: Record<string, unknown>[] = [];
    const { fastify, log } = await app({ catalog, logger: { error: (record) => records.push(record) } });
    await fastify.inject({ url: '/boom' });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ correlationId: 'fst-1' });
    expect(log.lines.some((l) => l.msg === 'unexpected error answered 500')).toBe(false);
    await fastify.close();
  });

  it("from: ['header', 'framework'] keeps a safe inbound header, and falls back to request.id", async () => {
    const { fastify } = await app({ catalog, correlation: { from: ['header', 'framework'] } });
    const kept = await fastify.inject({ url: '/missing', headers: { 'x-request-id': 'from-client' } });
    expect(kept.json().correlation_id).toBe('from-client');
    const unsafe = await fastify.inject({ url: '/missing', headers: { 'x-request-id': 'x'.repeat(200) } });
    expect(unsafe.json().correlation_id).toBe('fst-2');
    await fastify.close();
  });

  it('an unsafe framework id is skipped for the next source', async () => {
    const { fastify } = await app({ catalog }, { genReqId: () => 'y'.repeat(300) });
    const response = await fastify.inject({ url: '/missing', headers: { 'x-request-id': 'from-client' } });
    expect(response.json().correlation_id).toBe('from-client');
    await fastify.close();
  });

  it('the last-resort answer, when the format itself throws, still carries the request id', async () => {
    const broken = {
      ...commonFormats.problemJson,
      serialize: () => {
        throw new Error('format broke');
      },
    };
    const { fastify } = await app({ catalog, format: broken, logger: false });
    const response = await fastify.inject({ url: '/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.json().correlation_id).toBe('fst-1');
    expect(response.headers['x-request-id']).toBe('fst-1');
    await fastify.close();
  });

  it('onError gets the Fastify request and reply in event.raw', async () => {
    const events: ErrorEvent<{ request: FastifyRequest; reply: FastifyReply }>[] = [];
    const { fastify } = await app({ catalog, onError: (event) => events.push(event) });
    await fastify.inject({ url: '/missing' });
    expect(events).toHaveLength(1);
    expect(events[0]!.raw?.request.id).toBe('fst-1');
    expect(events[0]!.raw?.request.routeOptions.url).toBe('/missing');
    expect(typeof events[0]!.raw?.reply.code).toBe('function');
    expect(events[0]!.correlationId).toBe('fst-1');
    await fastify.close();
  });
});

describe('W3C traceparent', () => {
  const handle = createNodeErrors({
    catalog,
    logger: false,
    correlation: { from: ['traceparent', 'header'] },
  })(() => {
    throw catalog.create('ORDER_NOT_FOUND');
  });
  const plain = createNodeErrors({ catalog, logger: false })(() => {
    throw catalog.create('ORDER_NOT_FOUND');
  });
  const server = createServer((req, res) => void (req.url === '/plain' ? plain : handle)(req, res));
  let base = '';
  beforeAll(async () => {
    base = await listen(server);
  });
  afterAll(() => close(server));

  async function idFor(headers: Record<string, string>, path = '/') {
    const response = await fetch(base + path, { headers });
    const body = (await response.json()) as { correlation_id: string };
    expect(response.headers.get('x-request-id')).toBe(body.correlation_id);
    return body.correlation_id;
  }

  it('takes the trace-id of a valid traceparent', async () => {
    expect(await idFor({ traceparent: validTraceparent, 'x-request-id': 'from-client' })).toBe(traceId);
  });

  it.each([
    ['another version', `01-${traceId}-00f067aa0ba902b7-01`],
    ['version ff', `ff-${traceId}-00f067aa0ba902b7-01`],
    ['upper-case hex', `00-${traceId.toUpperCase()}-00f067aa0ba902b7-01`],
    ['an all-zero trace-id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['an all-zero parent-id', `00-${traceId}-${'0'.repeat(16)}-01`],
    ['a short trace-id', `00-${traceId.slice(1)}-00f067aa0ba902b7-01`],
    ['trailing data', `${validTraceparent}-extra`],
    ['non-hex flags', `00-${traceId}-00f067aa0ba902b7-zz`],
  ])('ignores a traceparent with %s', async (_name, value) => {
    expect(await idFor({ traceparent: value, 'x-request-id': 'from-client' })).toBe('from-client');
    expect(await idFor({ traceparent: value })).toMatch(uuid);
  });

  it('is not read unless the options name it: the default keeps the inbound header', async () => {
    expect(await idFor({ traceparent: validTraceparent, 'x-request-id': 'from-client' }, '/plain')).toBe(
      'from-client',
    );
    expect(await idFor({ traceparent: validTraceparent }, '/plain')).toMatch(uuid);
  });

  it('refuses an unknown source when the options are compiled', () => {
    expect(() =>
      createNodeErrors({ catalog, correlation: { from: ['cookie' as 'header'] } }).handler.correlationId(),
    ).toThrow(expect.objectContaining({ code: 'FAULTLINE_INVALID_OPTION' }));
  });
});

describe('Express and node: the id pino-http leaves on req.id, and the raw objects', () => {
  const events: ErrorEvent<{ req: express.Request; res: express.Response }>[] = [];
  const app = express();
  let n = 0;
  // What pino-http does: `req.id` from its genReqId (a number by default), before the routes.
  app.use((req, _res, next) => {
    (req as unknown as { id: unknown }).id = req.path === '/numbered' ? ++n : 'pino-7';
    next();
  });
  const errors = createExpressErrors({ catalog, logger: false, onError: (event) => events.push(event) });
  app.get(['/missing', '/numbered'], () => {
    throw catalog.create('ORDER_NOT_FOUND');
  });
  // pino-http's `req.log`: a pino child logger, with its level and `error(object, message)`.
  const logged: { record: Record<string, unknown>; message?: string | undefined }[] = [];
  const logging = express();
  logging.use((req, _res, next) => {
    Object.assign(req, {
      id: 'pino-8',
      log: {
        level: 'info',
        error: (record: Record<string, unknown>, message?: string) => logged.push({ record, message }),
      },
    });
    next();
  });
  logging.get('/boom', () => {
    throw new Error('disk on fire');
  });
  logging.use(createExpressErrors({ catalog }).handler);
  const loggingServer = createServer(logging);
  app.use(errors.handler);
  const server = createServer(app);

  const nodeEvents: ErrorEvent[] = [];
  const node = createNodeErrors({ catalog, logger: false, onError: (event) => nodeEvents.push(event) })(
    (req) => {
      (req as unknown as { id: string }).id = 'node-9';
      throw catalog.create('ORDER_NOT_FOUND');
    },
  );
  const nodeServer = createServer((req, res) => void node(req, res));
  let base = '';
  let nodeBase = '';
  let loggingBase = '';
  beforeAll(async () => {
    base = await listen(server);
    nodeBase = await listen(nodeServer);
    loggingBase = await listen(loggingServer);
  });
  afterAll(async () => {
    await close(server);
    await close(nodeServer);
    await close(loggingServer);
  });

  it("logs an unexpected error through pino-http's req.log, with the id answered", async () => {
    const stderr = stderrSpy();
    const response = await fetch(`${loggingBase}/boom`);
    expect(response.status).toBe(500);
    expect(response.headers.get('x-request-id')).toBe('pino-8');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.message).toBe('unexpected error answered 500');
    expect(logged[0]!.record).toMatchObject({ correlationId: 'pino-8', message: 'disk on fire' });
    expect(stderr).not.toHaveBeenCalled();
  });

  it('answers with req.id, and gives onError the Express req and res', async () => {
    const response = await fetch(`${base}/missing`, { headers: { 'x-request-id': 'from-client' } });
    expect(response.headers.get('x-request-id')).toBe('pino-7');
    expect(((await response.json()) as { correlation_id: string }).correlation_id).toBe('pino-7');
    expect(events.at(-1)!.raw?.req.path).toBe('/missing');
    expect(events.at(-1)!.raw?.res.headersSent).toBe(true);
  });

  it('takes a numeric req.id as its decimal text', async () => {
    const response = await fetch(`${base}/numbered`);
    expect(response.headers.get('x-request-id')).toBe('1');
  });

  it('node: answers with req.id, and onError gets { req, res }', async () => {
    const response = await fetch(`${nodeBase}/x`);
    expect(response.headers.get('x-request-id')).toBe('node-9');
    const raw = nodeEvents.at(-1)!.raw as { req: { url: string }; res: { statusCode: number } };
    expect(raw.req.url).toBe('/x');
    expect(raw.res.statusCode).toBe(404);
  });
});

describe("Hono: requestId middleware's c.get('requestId')", () => {
  it('answers with the id the middleware chose, and onError gets the context', async () => {
    const contexts: unknown[] = [];
    const app = new Hono();
    // No header name: Hono's middleware neither reads the inbound id nor sets the response header.
    app.use(requestId({ generator: () => 'hono-5', headerName: '' }));
    createHonoErrors({
      catalog,
      logger: false,
      onError: (event: ErrorEvent<{ context: { get(key: string): unknown } }>) =>
        contexts.push(event.raw?.context.get('requestId')),
    }).install(app);
    app.get('/missing', () => {
      throw catalog.create('ORDER_NOT_FOUND');
    });
    const response = await app.request('/missing', { headers: { 'x-request-id': 'from-client' } });
    expect(response.headers.get('x-request-id')).toBe('hono-5');
    expect(((await response.json()) as { correlation_id: string }).correlation_id).toBe('hono-5');
    expect(contexts).toEqual(['hono-5']);
  });
});
