import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Started, startCommand } from '../helpers/spawn.js';

// The app runs the real OpenTelemetry SDK with in-memory exporters in its own process (see the app for
// why), and reports what they hold on /__spans and /__metrics.
let started: Started | undefined;
let base = '';
beforeAll(async () => {
  const port = await freePort();
  started = await startCommand(
    'node',
    ['--conditions', 'faultline-source', '--import', 'tsx', 'test/e2e/observability-otel-app.ts'],
    port,
  );
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => started?.stop());

interface SpanRecord {
  name: string;
  status: { code: number };
  attributes: Record<string, unknown>;
  events: { name: string; attributes?: Record<string, unknown> }[];
}
interface Point {
  attributes: Record<string, unknown>;
  value: number;
}

const UNSET = 0;
const ERROR = 2;

async function getJson<T>(path: string): Promise<T> {
  return (await (await fetch(base + path)).json()) as T;
}

/** Answers `path`, then the span of that request (it ends on 'finish': a bounded wait for it). */
async function call(path: string) {
  const response = await fetch(base + path);
  await response.arrayBuffer();
  for (let i = 0; i < 50; i++) {
    const span = (await getJson<SpanRecord[]>('/__spans')).find((s) => s.name === `GET ${path}`);
    if (span) return { response, span };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no span ended for ${path}`);
}

const count = (points: Point[], code: string) =>
  points.find((p) => p.attributes['error.type'] === code)?.value ?? 0;

describe('OpenTelemetry through the API object', () => {
  it('a 5xx sets the active span status ERROR, error.type, and records the exception', async () => {
    const { response, span } = await call('/boom');
    expect(response.status).toBe(500);
    expect(span.status.code).toBe(ERROR);
    expect(span.attributes['error.type']).toBe('INTERNAL_ERROR');
    const exception = span.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('disk on fire');
  });

  it('a 4xx sets error.type and leaves the status unset, with no exception', async () => {
    const { response, span } = await call('/missing');
    expect(response.status).toBe(404);
    expect(span.status.code).toBe(UNSET);
    expect(span.attributes['error.type']).toBe('ORDER_NOT_FOUND');
    expect(span.events.some((e) => e.name === 'exception')).toBe(false);
  });

  it('counts answered errors in faultline.errors by error.type and http.response.status_code', async () => {
    const before = await getJson<Point[]>('/__metrics');
    await call('/missing');
    await call('/missing');
    await call('/boom');
    const after = await getJson<Point[]>('/__metrics');
    expect(count(after, 'ORDER_NOT_FOUND') - count(before, 'ORDER_NOT_FOUND')).toBe(2);
    expect(count(after, 'INTERNAL_ERROR') - count(before, 'INTERNAL_ERROR')).toBe(1);
    expect(after.find((p) => p.attributes['error.type'] === 'ORDER_NOT_FOUND')?.attributes).toEqual({
      'error.type': 'ORDER_NOT_FOUND',
      'http.response.status_code': 404,
    });
    expect(after.find((p) => p.attributes['error.type'] === 'INTERNAL_ERROR')?.attributes).toEqual({
      'error.type': 'INTERNAL_ERROR',
      'http.response.status_code': 500,
    });
  });

  it('counts on an explicit meter when one is given, not on the global one', async () => {
    const globalBefore = count(await getJson<Point[]>('/__metrics'), 'ORDER_NOT_FOUND');
    const { span } = await call('/meter/missing');
    expect(span.attributes['error.type']).toBe('ORDER_NOT_FOUND');
    expect(count(await getJson<Point[]>('/__own-metrics'), 'ORDER_NOT_FOUND')).toBe(1);
    expect(count(await getJson<Point[]>('/__metrics'), 'ORDER_NOT_FOUND')).toBe(globalBefore);
  });

  it('without the otel option, nothing is recorded', async () => {
    const before = await getJson<Point[]>('/__metrics');
    const { response, span } = await call('/none/boom');
    expect(response.status).toBe(500);
    expect(span.status.code).toBe(UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
    expect(await getJson<Point[]>('/__metrics')).toEqual(before);
  });
});
