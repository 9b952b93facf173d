import { defineErrors, wsDefinitions } from 'faultline';
import { wsBehaviourOf } from 'faultline/ws';
import { describe, expect, it } from 'vitest';
import { classifyClose } from './socket-close.js';

const catalog = defineErrors(
  {
    ...wsDefinitions,
    AUTHENTICATION_FAILED: { status: 401, message: 'authentication failed' },
    SESSION_ENDED: { status: 410, message: 'The session has ended.', ws: { close: 4410, endsSession: true } },
  },
  {
    closeCodes: {
      1006: {
        name: 'Abnormal closure',
        description: 'Connection dropped unexpectedly (for example, network failure).',
      },
    },
  },
);

describe('classifyClose', () => {
  it('maps every catalog close code to its entry and advice, by reason first', () => {
    for (const code of catalog.codes) {
      const entry = catalog.entries[code];
      if (!entry.ws) continue;
      const b = wsBehaviourOf(entry);
      const c = classifyClose(b.closeCode, code, catalog);
      expect(c.error?.code).toBe(code);
      expect(c.reconnect).toBe(b.reconnect);
      expect(c.resume).toBe(b.resume);
    }
  });

  it('has a decision for every RFC code 1000–1015 and keeps unknown codes', () => {
    const expected: Record<number, string> = {
      1000: 'stop',
      1001: 'backoff',
      1002: 'never',
      1003: 'never',
      1005: 'backoff',
      1006: 'backoff',
      1007: 'never',
      1008: 'never',
      1009: 'never',
      1010: 'never',
      1011: 'backoff',
      1012: 'backoff',
      1013: 'backoff',
      1014: 'backoff',
      1015: 'never',
    };
    for (const [code, decision] of Object.entries(expected))
      expect(classifyClose(Number(code), '').reconnect).toBe(decision);
    expect(classifyClose(4321, 'who knows').error).toMatchObject({
      code: 'WS_CLOSE_4321',
      message: 'who knows',
    });
    expect(classifyClose(4401, '').reconnect).toBe('afterAuth');
    expect(classifyClose(1006, '', catalog)).toMatchObject({
      reconnect: 'backoff',
      error: { message: 'Abnormal closure' },
    });
  });
});
