import { runInNewContext } from 'node:vm';
import { ApiError } from 'faultline';
import { describe, expect, it } from 'vitest';

const init = {
  code: 'SESSION_NOT_FOUND',
  status: 404,
  message: 'Session not found',
  details: { sessionId: 's' },
};

describe('ApiError', () => {
  it('round-trips through JSON without its cause', () => {
    const error = new ApiError(
      { ...init, id: 4001, correlationId: 'req-1', headers: { 'retry-after': '1' } },
      {
        cause: new Error('secret'),
      },
    );
    const json = JSON.stringify(error);
    expect(json).not.toContain('secret');
    const back = ApiError.fromJSON(json);
    expect(back).toBeInstanceOf(ApiError);
    expect(back.toJSON()).toEqual(error.toJSON());
    expect(back.category).toBe('NOT_FOUND');
  });

  it('recognises an error branded in another realm', () => {
    const foreign = runInNewContext(
      `const e = new Error('x'); Object.defineProperty(e, Symbol.for('faultline.ApiError'), { value: true }); e.code = 'X'; e`,
    );
    expect(foreign instanceof Error).toBe(false);
    expect(foreign instanceof ApiError && foreign.code === 'X').toBe(true);
    expect(foreign).toBeInstanceOf(ApiError);
  });

  it('keeps the prototype check for subclasses', () => {
    class SessionError extends ApiError {}
    expect(new ApiError(init)).not.toBeInstanceOf(SessionError);
    expect(new SessionError(init)).toBeInstanceOf(SessionError);
    expect(new SessionError(init)).toBeInstanceOf(ApiError);
  });

  it('falls back to 500 for a status no catalog entry may carry', () => {
    expect(new ApiError({ code: 'X', status: 302, message: 'x' }).status).toBe(500);
  });

  it('takes no non-object, and no look-alike without the brand, for an ApiError', () => {
    for (const value of [null, undefined, 'ApiError', 42, { code: 'X', status: 400 }])
      expect(value instanceof ApiError).toBe(false);
  });
});
