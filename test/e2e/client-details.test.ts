import { defineErrors } from 'faultline';
import { createClient } from 'faultline/client';
import { commonFormats, envelope, field } from 'faultline/format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { scriptedServer } from '../helpers/scripted.js';

// The runtime half of src/client/client.test-d.ts: `details` is typed as the code's details exactly when
// every body the client takes for an answer of the API carries them, and as possibly undefined otherwise.

const errors = defineErrors({
  SESSION_NOT_FOUND: {
    status: 404,
    message: 'Session {sessionId} not found',
    details: z.object({ sessionId: z.string() }),
  },
  PLAN_LIMIT: { status: 402, message: 'Plan limit reached', details: z.object({ limit: z.number() }) },
});

const bodies: Record<string, { status: number; body: object }> = {
  '/message/templated': { status: 404, body: { success: false, error: 'Session abc not found' } },
  '/message/fixed': { status: 402, body: { success: false, error: 'Plan limit reached' } },
  '/problem': {
    status: 402,
    body: { type: 'urn:problem-type:PLAN_LIMIT', status: 402, code: 'PLAN_LIMIT', details: { limit: 3 } },
  },
  '/problem/no-details': {
    status: 402,
    body: {
      type: 'urn:problem-type:PLAN_LIMIT',
      status: 402,
      code: 'PLAN_LIMIT',
      detail: 'Plan limit reached',
    },
  },
  '/problem/wrong-details': {
    status: 402,
    body: {
      type: 'urn:problem-type:PLAN_LIMIT',
      status: 402,
      code: 'PLAN_LIMIT',
      details: { limit: 'three' },
    },
  },
  '/problem/listed-details': {
    status: 404,
    body: { status: 404, code: 'SESSION_NOT_FOUND', details: { sessionId: ['a', 'b'] } },
  },
  '/problem/templated': {
    status: 404,
    body: { type: 'about:blank', status: 404, title: 'Not Found', detail: 'Session abc not found' },
  },
  '/coded/no-details': {
    status: 402,
    body: { success: false, code: 'PLAN_LIMIT', error: 'Plan limit reached' },
  },
};

let server: Awaited<ReturnType<typeof scriptedServer>>;
beforeAll(async () => {
  server = await scriptedServer((_, seen) => bodies[seen.url] ?? { status: 500 });
});
afterAll(() => server.close());

async function caught(api: { get(path: string): Promise<unknown> }, path: string): Promise<unknown> {
  try {
    await api.get(path);
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('client details at runtime, as the types say', () => {
  it('without formats, details may be undefined: a message-only body carries none for a fixed message', async () => {
    const api = createClient({ baseUrl: server.base, catalog: errors, retry: false });
    const fixed = await caught(api, '/message/fixed');
    expect(api.is(fixed, 'PLAN_LIMIT') && fixed.details).toBeUndefined();
    expect(api.is(fixed, 'PLAN_LIMIT')).toBe(true);
    const templated = await caught(api, '/message/templated');
    expect(api.is(templated, 'SESSION_NOT_FOUND') && templated.details).toEqual({ sessionId: 'abc' });
    const problem = await caught(api, '/problem');
    expect(api.is(problem, 'PLAN_LIMIT') && problem.details).toEqual({ limit: 3 });
    const bare = await caught(api, '/problem/no-details');
    expect(api.is(bare, 'PLAN_LIMIT')).toBe(true);
    expect(api.is(bare, 'PLAN_LIMIT') && bare.details).toBeUndefined();
  });

  it("the catalog's own is() narrows to whole details only: false for an error of the code without them", async () => {
    const api = createClient({ baseUrl: server.base, catalog: errors, retry: false });
    const bare = await caught(api, '/problem/no-details');
    // `errors.is` types `details` as the schema's, required: a client's error read without them is not one.
    expect(api.is(bare, 'PLAN_LIMIT')).toBe(true);
    expect(errors.is(bare, 'PLAN_LIMIT')).toBe(false);
    expect(errors.is(bare)).toBe(false);
    const whole = await caught(api, '/problem');
    expect(errors.is(whole, 'PLAN_LIMIT') && whole.details.limit).toBe(3);
    expect(errors.is(whole)).toBe(true);
    const templated = await caught(api, '/message/templated');
    expect(errors.is(templated, 'SESSION_NOT_FOUND') && templated.details.sessionId).toBe('abc');
    // On the server, an error made by `create` always holds them.
    expect(errors.is(errors.create('PLAN_LIMIT', { limit: 1 }), 'PLAN_LIMIT')).toBe(true);
  });

  it("the catalog's is() answers false for a hostile value, never throws", () => {
    const real = errors.create('PLAN_LIMIT', { limit: 1 });
    const boom = () => {
      throw new Error('trap');
    };
    const hostile: unknown[] = [
      new Proxy(real, {
        get: (target, key) => (key === 'code' || key === 'details' ? boom() : Reflect.get(target, key)),
      }),
      Object.defineProperty(errors.create('PLAN_LIMIT', { limit: 1 }), 'details', { get: boom }),
      Object.defineProperty(errors.create('PLAN_LIMIT', { limit: 1 }), 'code', { get: boom }),
      Object.assign(errors.create('PLAN_LIMIT', { limit: 1 }), {
        details: new Proxy({}, { getOwnPropertyDescriptor: boom }),
      }),
      Object.assign(errors.create('PLAN_LIMIT', { limit: 1 }), { code: { toString: boom } }),
      Object.assign(errors.create('PLAN_LIMIT', { limit: 1 }), { code: '__proto__' }),
    ];
    for (const value of hostile) {
      expect(() => errors.is(value)).not.toThrow();
      expect(() => errors.is(value, 'PLAN_LIMIT')).not.toThrow();
      expect(errors.is(value)).toBe(false);
    }
    expect(errors.is(real, 'PLAN_LIMIT')).toBe(true);
  });

  it('with a message-only format, details come back from the message template, else are undefined', async () => {
    const api = createClient({
      baseUrl: server.base,
      catalog: errors,
      formats: [commonFormats.message],
      retry: false,
    });
    const templated = await caught(api, '/message/templated');
    expect(api.is(templated, 'SESSION_NOT_FOUND') && templated.details).toEqual({ sessionId: 'abc' });
    const fixed = await caught(api, '/message/fixed');
    expect(api.is(fixed, 'PLAN_LIMIT')).toBe(true);
    expect(api.is(fixed, 'PLAN_LIMIT') && fixed.details).toBeUndefined();
  });

  it('with an envelope without a details member, a body that names its code carries none', async () => {
    const format = envelope({ success: false, code: field.code, error: field.message });
    const api = createClient({ baseUrl: server.base, catalog: errors, formats: [format], retry: false });
    const coded = await caught(api, '/coded/no-details');
    expect(api.is(coded, 'PLAN_LIMIT')).toBe(true);
    expect(api.is(coded, 'PLAN_LIMIT') && coded.details).toBeUndefined();
    // One without its code is read back through the message template, details included.
    const templated = await caught(api, '/message/templated');
    expect(api.is(templated, 'SESSION_NOT_FOUND') && templated.details).toEqual({ sessionId: 'abc' });
  });

  it('with formats that always carry details, only bodies in those formats are narrowed, and they hold them', async () => {
    const api = createClient({
      baseUrl: server.base,
      catalog: errors,
      formats: [commonFormats.problemJson],
      retry: false,
    });
    const problem = await caught(api, '/problem');
    expect(api.is(problem, 'PLAN_LIMIT') && problem.details).toEqual({ limit: 3 });
    const templated = await caught(api, '/problem/templated');
    expect(api.is(templated, 'SESSION_NOT_FOUND') && templated.details).toEqual({ sessionId: 'abc' });
    // A body in another format (a proxy's, a gateway's), or one that leaves out the details its format
    // carries and its code requires, is no answer of this API: never narrowed to a code.
    for (const path of ['/message/fixed', '/coded/no-details', '/problem/no-details']) {
      const other = await caught(api, path);
      expect(api.is(other)).toBe(false);
      expect(other).toMatchObject({ status: 402, details: undefined });
    }
  });

  it("never narrows an answer whose details its code's schema refuses, on the client or the catalog", async () => {
    for (const formats of [undefined, [commonFormats.problemJson]]) {
      const api = createClient({
        baseUrl: server.base,
        catalog: errors,
        retry: false,
        ...(formats && { formats }),
      });
      const wrong = await caught(api, '/problem/wrong-details');
      expect(api.is(wrong)).toBe(false);
      expect(errors.is(wrong, 'PLAN_LIMIT')).toBe(false);
      expect(wrong).toMatchObject({ status: 402, code: 'PLAN_LIMIT' });
      const listed = await caught(api, '/problem/listed-details');
      expect(api.is(listed, 'SESSION_NOT_FOUND')).toBe(false);
      expect(errors.is(listed, 'SESSION_NOT_FOUND')).toBe(false);
      // Details of the schema's shape are narrowed as before.
      const right = await caught(api, '/problem');
      expect(api.is(right, 'PLAN_LIMIT') && errors.is(right, 'PLAN_LIMIT') && right.details.limit).toBe(3);
    }
  });
});
