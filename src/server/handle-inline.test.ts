import { defineErrors } from 'faultline';
import { commonFormats, type ErrorFormat } from 'faultline/format';
import { type ErrorEvent, type ErrorHandlerOptions, type OtelMeter, toResponse } from 'faultline/server';
import { describe, expect, it } from 'vitest';

const catalog = defineErrors({ RATE_LIMITED: { status: 429, message: 'Too many requests.' } });
const request = { method: 'GET', url: '/v1/x', headers: { 'x-request-id': 'req-1' } };

// What toResponse answers with options written inline: status, lower-case headers, and the body to read.
function inline(thrown: unknown, request: object, options: ErrorHandlerOptions) {
  const response = toResponse(thrown, request, options);
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    text: () => response.text(),
  };
}

// A format that counts its serializations. A compiled handler serializes an error without details once,
// then splices the correlation id and instance into that body: one call per compiled handler and code.
function countingFormat(): { format: ErrorFormat; calls: () => number } {
  let calls = 0;
  const format: ErrorFormat = {
    ...commonFormats.problemJson,
    serialize: (view) => {
      calls++;
      return commonFormats.problemJson.serialize(view);
    },
  };
  return { format, calls: () => calls };
}

describe('toResponse with options written inline', () => {
  it('compiles the handler once for 1 000 calls, each with a fresh options object', async () => {
    const { format, calls } = countingFormat();
    const error = catalog.create('RATE_LIMITED');
    const bodies = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const { status, text } = inline(error, request, { catalog, format });
      expect(status).toBe(429);
      bodies.add(await text());
    }
    expect(calls()).toBe(1);
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0]!)).toMatchObject({ code: 'RATE_LIMITED', correlation_id: 'req-1' });
  });

  it("runs each call's own onError, not the first call's", () => {
    const seen: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      inline(catalog.create('RATE_LIMITED'), request, {
        catalog,
        onError: (event: ErrorEvent) => seen.push(`${name}:${event.error.code}`),
      });
    }
    expect(seen).toEqual(['a:RATE_LIMITED', 'b:RATE_LIMITED', 'c:RATE_LIMITED']);
  });

  it('makes one OpenTelemetry counter for 1 000 calls with fresh { otel: { api, meter } } objects', () => {
    let counters = 0;
    let added = 0;
    const meter: OtelMeter = {
      createCounter: () => {
        counters++;
        return { add: () => void added++ };
      },
    };
    const api = { trace: { getActiveSpan: () => undefined } };
    for (let i = 0; i < 1000; i++) {
      inline(catalog.create('RATE_LIMITED'), request, { catalog, otel: { api, meter } });
    }
    expect(counters).toBe(1);
    expect(added).toBe(1000);
  });

  it('keeps options of different values apart: each correlation header is the one answered with', () => {
    for (const header of ['x-a', 'x-b', 'x-a']) {
      const { headers } = inline(catalog.create('RATE_LIMITED'), request, {
        catalog,
        correlation: { header },
      });
      expect(Object.keys(headers)).toContain(header);
    }
  });

  it('stays correct past its bound when every call brings a fresh generate function', () => {
    const { format, calls } = countingFormat();
    const unknownRequest = { method: 'GET', url: '/v1/x' };
    for (let i = 0; i < 300; i++) {
      const { headers } = inline(catalog.create('RATE_LIMITED'), unknownRequest, {
        catalog,
        format,
        correlation: { generate: () => `id-${i}` },
      });
      expect(headers['x-request-id']).toBe(`id-${i}`);
    }
    // Compared by identity, a fresh function is a fresh handler each time: correct, at the compiled cost.
    expect(calls()).toBe(300);
  });

  it('logs unexpected errors of calls without hooks, and not those of a call with logger: false', () => {
    const logged: string[] = [];
    const withLog = {
      ...request,
      log: { error: (_object: unknown, message?: string) => logged.push(String(message)) },
    };
    for (let i = 0; i < 3; i++) expect(inline(new Error('db down'), withLog, { catalog }).status).toBe(500);
    expect(inline(new Error('db down'), withLog, { catalog, logger: false }).status).toBe(500);
    expect(logged).toHaveLength(3);
  });

  it('still refuses invalid options on every call, not only the first', () => {
    const bad = { catalog, correlation: { from: ['nowhere'] as never } };
    expect(() => inline(new Error('x'), request, bad)).toThrow(/correlation\.from/);
    expect(() => inline(new Error('x'), request, { ...bad })).toThrow(/correlation\.from/);
  });
});
