import { describe, expect, it } from 'vitest';
import { linkSignals } from './abort.js';

describe('linkSignals without AbortSignal.any', () => {
  const bare = () => {
    // A runtime without AbortSignal.any (Safari before 17.4): the listeners stand in for it.
    const any = AbortSignal.any;
    Object.defineProperty(AbortSignal, 'any', { value: undefined, configurable: true, writable: true });
    return () =>
      Object.defineProperty(AbortSignal, 'any', { value: any, configurable: true, writable: true });
  };

  it('aborts with the reason of whichever signal aborts first', () => {
    const restore = bare();
    try {
      const caller = new AbortController();
      const own = new AbortController();
      const { signal } = linkSignals(caller.signal, own.signal);
      own.abort(new Error('timeout'));
      caller.abort(new Error('caller'));
      expect(signal.reason.message).toBe('timeout');
    } finally {
      restore();
    }
  });

  it('starts aborted when a signal already is, and follows nothing once released', () => {
    const restore = bare();
    try {
      const aborted = linkSignals(AbortSignal.abort(new Error('early')), new AbortController().signal);
      expect(aborted.signal.reason.message).toBe('early');
      const caller = new AbortController();
      const linked = linkSignals(caller.signal, new AbortController().signal);
      linked.release();
      caller.abort();
      expect(linked.signal.aborted).toBe(false);
    } finally {
      restore();
    }
  });
});
