import { ApiError, defineErrors } from 'faultline';
import { parseErrorParts } from 'faultline/client';
import { commonFormats, envelope, field } from 'faultline/format';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { codeEnvelope, flatEnvelope, messageEnvelope, nestedEnvelope } from './common.js';
import { detectFormat } from './detect.js';

/** The example bodies printed in the reference pages, compacted. */
const pages = {
  '000': {
    success: false,
    error: 'Request body failed schema validation.',
    error_id: '550e8400-e29b-41d4-a716-446655440000',
    error_code: 'SCHEMA_VALIDATION_FAILED',
    error_message: 'Request body failed schema validation.',
    data: null,
  },
  '002': {
    error: {
      message: 'Invalid request body',
      statusCode: 400,
      code: 'VALIDATION_ERROR',
      category: 'VALIDATION',
      details: [{ path: 'events.0.type', message: 'Invalid enum value' }],
    },
  },
  '003': { success: false, error: 'Human-readable error message' },
  '004': {
    success: false,
    code: 'VALIDATION_FAILED',
    error: 'Human-readable summary',
    details: { fieldErrors: { email: 'Already in use' } },
  },
};

describe('envelope formats', () => {
  it('serializes the body of reference page 000 member for member', async () => {
    const error = new ApiError({
      code: 'SCHEMA_VALIDATION_FAILED',
      status: 400,
      message: 'Request body failed schema validation.',
      correlationId: '550e8400-e29b-41d4-a716-446655440000',
    });
    const body = flatEnvelope.serialize(error);
    expect(body).toBe(JSON.stringify(pages['000']));
    const back = await parseErrorParts({ status: 400, headers: {}, body }, { formats: [flatEnvelope] });
    expect(back.code).toBe('SCHEMA_VALIDATION_FAILED');
    expect(back.message).toBe(error.message);
    expect(back.correlationId).toBe(error.correlationId);
  });

  it('writes null for a missing correlation id where the envelope says so', () => {
    const body = flatEnvelope.serialize(new ApiError({ code: 'X', status: 400, message: 'm' }));
    expect(JSON.parse(body).error_id).toBeNull();
  });

  it('serializes the body of reference page 002 with validation details as paths', async () => {
    const error = new ApiError({
      code: 'VALIDATION_ERROR',
      status: 400,
      message: 'Invalid request body',
      fieldErrors: [{ pointer: '/events/0/type', detail: 'Invalid enum value' }],
    });
    const body = nestedEnvelope.serialize(error);
    expect(body).toBe(JSON.stringify(pages['002']));
    const back = await parseErrorParts({ status: 400, headers: {}, body }, { formats: [nestedEnvelope] });
    expect(back.toJSON()).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, category: 'VALIDATION' });
    expect(back.fieldErrors).toEqual(error.fieldErrors);
  });

  it('puts other details where page 002 puts validation details', () => {
    const error = new ApiError({
      code: 'AUDIENCE_IN_USE',
      status: 409,
      message: 'In use',
      details: { audienceId: 'a1' },
    });
    expect(JSON.parse(nestedEnvelope.serialize(error)).error.details).toEqual({ audienceId: 'a1' });
  });

  it('serializes the body of reference page 003 and maps the message back to its code', async () => {
    const catalog = defineErrors({ SESSION_NOT_FOUND: { status: 404, message: 'Session not found' } });
    const body = messageEnvelope.serialize(
      new ApiError({ code: 'X', status: 400, message: pages['003'].error }),
    );
    expect(body).toBe(JSON.stringify(pages['003']));
    const back = await parseErrorParts(
      { status: 404, headers: {}, body: { success: false, error: 'Session not found' } },
      { formats: [messageEnvelope], catalog },
    );
    expect(back.code).toBe('SESSION_NOT_FOUND');
    expect(back.status).toBe(404);
  });

  it('serializes the body of reference page 004 with field errors as a map', async () => {
    const error = new ApiError({
      code: 'VALIDATION_FAILED',
      status: 400,
      message: 'Human-readable summary',
      fieldErrors: [{ pointer: '/email', detail: 'Already in use' }],
    });
    const body = codeEnvelope.serialize(error);
    expect(body).toBe(JSON.stringify(pages['004']));
    const back = await parseErrorParts({ status: 400, headers: {}, body }, { formats: [codeEnvelope] });
    expect(back.fieldErrors).toEqual(error.fieldErrors);
  });

  it('tells which declared format a body is in', () => {
    const formats = [commonFormats.problemJson, flatEnvelope, nestedEnvelope, codeEnvelope, messageEnvelope];
    expect(detectFormat(pages['000'], formats)?.format).toBe(flatEnvelope);
    expect(detectFormat(pages['002'], formats)?.format).toBe(nestedEnvelope);
    expect(detectFormat(pages['003'], formats)?.format).toBe(messageEnvelope);
    expect(detectFormat(pages['004'], formats)?.format).toBe(codeEnvelope);
    expect(detectFormat({ type: 'about:blank', title: 'Not Found', status: 404 }, formats)?.format).toBe(
      commonFormats.problemJson,
    );
    expect(detectFormat('<html>502</html>', formats)).toBeUndefined();
    expect(detectFormat({ unrelated: true }, formats)).toBeUndefined();
  });

  it('derives a code from the status when nothing fits', async () => {
    const error = await parseErrorParts({
      status: 502,
      statusText: 'Bad Gateway',
      headers: {},
      body: '<html>Bad gateway</html>',
    });
    expect(error).toMatchObject({ code: 'BAD_GATEWAY', status: 502, message: 'Bad Gateway' });
  });

  it('declares literals, null and nested objects as data', () => {
    const format = envelope({
      ok: false,
      meta: { version: 2, tags: ['x'] },
      error: { code: field.code },
      data: null,
    });
    const body = format.serialize(new ApiError({ code: 'X_Y', status: 400, message: 'm' }));
    expect(body).toBe('{"ok":false,"meta":{"version":2,"tags":["x"]},"error":{"code":"X_Y"},"data":null}');
  });

  it('leaves out an optional first member without a dangling comma', () => {
    const format = envelope({
      id: field.id,
      cid: field.correlationId,
      code: field.code,
      extra: field('details', { missing: 'null' }),
    });
    expect(format.serialize(new ApiError({ code: 'C', status: 400, message: 'm' }))).toBe(
      '{"code":"C","extra":null}',
    );
    expect(format.serialize(new ApiError({ code: 'C', status: 400, message: 'm', id: 3 }))).toBe(
      '{"id":3,"code":"C","extra":null}',
    );
  });

  it('drops details that cannot be serialized and still answers a valid document', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const throwing = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get: () => {
        throw new Error('x');
      },
    });
    for (const details of [cyclic, throwing, 10n, () => 1]) {
      const body = commonFormats.problemJson.serialize(
        new ApiError({ code: 'C', status: 400, message: 'm', details }),
      );
      expect(JSON.parse(body)).toMatchObject({ code: 'C', status: 400 });
    }
  });

  it('escapes control characters, quotes and lone surrogates', () => {
    const message = 'a"b\\c\n\u0000\ud800';
    const body = commonFormats.problemJson.serialize(new ApiError({ code: 'C', status: 400, message }));
    expect(JSON.parse(body).detail).toBe(JSON.parse(JSON.stringify(message)));
  });

  it('rejects a declaration with an unknown field', () => {
    expect(() => envelope({ code: { $field: 'nope' } } as never)).toThrow(/FAULTLINE_INVALID_FORMAT/);
    expect(() => envelope({ list: [field.code] } as never)).toThrow(/FAULTLINE_INVALID_FORMAT/);
  });

  it('prefers the first alternative that has a value', () => {
    const format = envelope({ d: { $first: [field('errors', { style: 'map' }), field.details, 'none'] } });
    expect(format.serialize(new ApiError({ code: 'C', status: 400, message: 'm' }))).toBe('{"d":"none"}');
  });
});

describe('commonFormats.problemJson', () => {
  it('writes RFC 9457 members then the extensions, in order', () => {
    const error = new ApiError({
      code: 'SESSION_NOT_FOUND',
      status: 404,
      id: 4001,
      message: 'Session s1 not found',
      details: { sessionId: 's1' },
      correlationId: 'req-1',
      type: 'https://api.example.com/errors#SESSION_NOT_FOUND',
    });
    expect(
      JSON.parse(commonFormats.problemJson.serialize({ ...error.toJSON(), instance: '/sessions/s1' })),
    ).toEqual({
      type: 'https://api.example.com/errors#SESSION_NOT_FOUND',
      title: 'Not Found',
      status: 404,
      detail: 'Session s1 not found',
      instance: '/sessions/s1',
      code: 'SESSION_NOT_FOUND',
      id: 4001,
      correlation_id: 'req-1',
      details: { sessionId: 's1' },
    });
    expect(commonFormats.problemJson.contentType).toBe('application/problem+json');
  });

  it('builds a stable type URI from the code when there is no docs URL', () => {
    expect(
      JSON.parse(commonFormats.problemJson.serialize(new ApiError({ code: 'X', status: 400, message: 'm' })))
        .type,
    ).toBe('urn:problem-type:X');
  });

  it('writes field errors as pointer and detail', () => {
    const body = commonFormats.problemJson.serialize(
      new ApiError({
        code: 'V',
        status: 400,
        message: 'm',
        fieldErrors: [{ pointer: '/email', detail: 'Required' }],
      }),
    );
    expect(JSON.parse(body).errors).toEqual([{ pointer: '/email', detail: 'Required' }]);
  });

  it('gives the same body for the same error twice (per-code plans are reused)', () => {
    const a = new ApiError({ code: 'R', status: 429, message: 'slow', correlationId: 'a' });
    const b = new ApiError({ code: 'R', status: 503, message: 'slow', correlationId: 'b' });
    expect(JSON.parse(commonFormats.problemJson.serialize(a)).status).toBe(429);
    expect(JSON.parse(commonFormats.problemJson.serialize(b)).status).toBe(503);
    expect(JSON.parse(commonFormats.problemJson.serialize(a)).correlation_id).toBe('a');
  });
});

describe('parseErrorParts with a catalog, for bodies without a code', () => {
  const catalog = defineErrors({
    SESSION_NOT_FOUND: {
      status: 404,
      message: 'Session {sessionId} not found',
      details: z.object({ sessionId: z.string() }),
    },
    SESSION_ENDED: { status: 410, message: 'Session ended' },
  });

  it('maps an interpolated message back to its code, with the values its placeholders held', async () => {
    const error = await parseErrorParts(
      { status: 404, headers: {}, body: { success: false, error: 'Session s-1 not found' } },
      { formats: [messageEnvelope], catalog },
    );
    expect(error).toMatchObject({ code: 'SESSION_NOT_FOUND', status: 404, details: { sessionId: 's-1' } });
  });

  it('maps an exact message to its code and leaves an unknown one to the status', async () => {
    const read = (status: number, error: string) =>
      parseErrorParts(
        { status, headers: {}, body: { success: false, error } },
        { formats: [messageEnvelope], catalog },
      );
    expect((await read(410, 'Session ended')).code).toBe('SESSION_ENDED');
    expect(await read(409, 'Something else')).toMatchObject({ code: 'CONFLICT', status: 409 });
  });
});
