import { defineErrors } from 'faultline';
import { describe, expect, it } from 'vitest';
import { createKit } from './adapter.js';
import { answerBody, probeMethods, takesMethod } from './methods.js';
import { read, safely } from './safe.js';

const hostile = new Proxy(
  {},
  {
    get() {
      throw new Error('trap');
    },
    getPrototypeOf() {
      throw new Error('trap');
    },
  },
);

describe('the adapter kit', () => {
  it('reads a property of a value whose getters or proxy traps throw as undefined', () => {
    expect(read(hostile, 'code')).toBeUndefined();
    expect(read(undefined, 'code')).toBeUndefined();
    expect(read({ code: 'X' }, 'code')).toBe('X');
  });

  it('wraps a translation so that it never throws: what it cannot read is returned untouched', () => {
    const translate = safely((thrown) => `${(thrown as { code: string }).code}!`);
    expect(translate({ code: 'A' })).toBe('A!');
    expect(translate(hostile)).toBe(hostile);
  });

  it('sends no body to HEAD, and serves HEAD from a GET route', () => {
    expect(answerBody('HEAD', '{}')).toBeUndefined();
    expect(answerBody('GET', '{}')).toBe('{}');
    expect(takesMethod(['GET'], 'HEAD')).toBe(true);
    expect(takesMethod(['POST'], 'HEAD')).toBe(false);
  });

  it('probes the methods of a path one at a time, OPTIONS included', () => {
    const asked: string[] = [];
    const methods = probeMethods((method) => {
      asked.push(method);
      return method === 'POST' || method === 'OPTIONS';
    });
    expect(methods).toEqual(['POST', 'OPTIONS']);
    expect(asked).toEqual(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
  });

  it('builds the shared shape once, and refuses a malformed option at setup', () => {
    const catalog = defineErrors({});
    const kit = createKit({ catalog }, { body: { limit: '2kb' } });
    expect(kit.catalog).toBe(catalog);
    expect(kit.errors.catalog).toBe(catalog);
    expect(kit.limits.limit).toBe(2048);
    expect(kit.limitsOf()).toBe(kit.limits);
    expect(kit.limitsOf({ maxDepth: 4 })).toMatchObject({ limit: 2048, maxDepth: 4 });
    expect(() => createKit({ catalog }, { linger: { maxTime: -1 } })).toThrow(
      /FAULTLINE_INVALID_OPTION|maxTime/,
    );
  });
});
