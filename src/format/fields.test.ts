import { ApiError, defineErrors } from 'faultline';
import { parseErrorParts } from 'faultline/client';
import { commonFormats, type ErrorField, type ErrorView, envelope, field } from 'faultline/format';
import { describe, expect, it } from 'vitest';
import { errorFields } from './fields.js';
import { fieldsOf } from './spec.js';

const names = Object.keys(errorFields) as ErrorField[];

/** A view holding a value for every field, as the server would serialize it. */
const full: ErrorView = {
  code: 'ROOM_FULL',
  status: 409,
  message: 'Room "r1" is full',
  id: 4009,
  category: 'CONFLICT',
  retryable: true,
  details: { roomId: 'r1', seats: [1, 2] },
  fieldErrors: [{ pointer: '/rooms/0/name', detail: 'Required' }],
  correlationId: 'req-1',
  type: 'https://docs.example.com/errors#ROOM_FULL',
  title: 'Room full',
  instance: '/rooms/r1',
  eventId: 'evt_1',
  replyTo: 'c1',
  timestamp: Date.UTC(2026, 0, 2),
  event: { type: 'join', metadata: { trace: 'abc' } },
  retryAfter: 2,
};

/** The reference to a field; `echo` takes the path it copies. */
const refOf = (name: ErrorField) => (name === 'echo' ? field('echo', { path: 'metadata' }) : field[name]);

/** What a body read back should hold for a field of `full`. */
const expectedOf = (name: ErrorField) =>
  name === 'echo' ? { trace: 'abc' } : full[errorFields[name].key as keyof ErrorView];

/** The least an error holds. */
const bare: ErrorView = { code: 'X', status: 400, message: 'm', category: 'VALIDATION', retryable: false };

describe('the field table', () => {
  it('has a reference for every row, and rows in the canonical order', () => {
    expect(Object.keys(field)).toEqual(names);
    expect(names).toEqual([
      'code',
      'message',
      'status',
      'id',
      'category',
      'retryable',
      'details',
      'errors',
      'correlationId',
      'type',
      'title',
      'instance',
      'eventId',
      'replyTo',
      'timestamp',
      'echo',
      'retryAfter',
    ]);
  });

  it.each(names)('writes %s and reads it back from the same declaration', (name) => {
    const format = envelope({ code: field.code, message: field.message, value: refOf(name) });
    const parsed = format.parse(JSON.parse(format.serialize(full))) as Record<string, unknown>;
    expect(parsed[errorFields[name].key]).toEqual(expectedOf(name));
  });

  it.each(names)('reads %s from a view under its key', (name) => {
    expect(errorFields[name].value(full)).toBe(
      full[errorFields[name].key === 'echo' ? 'event' : (errorFields[name].key as keyof ErrorView)],
    );
  });

  it.each(names)('writes %s for every error exactly when the table says every error has it', (name) => {
    const body = JSON.parse(envelope({ code: field.code, value: refOf(name) }).serialize(bare));
    expect('value' in body).toBe(errorFields[name].always);
  });

  it.each(['pointer', 'path', 'map'] as const)('writes and reads field errors in the %s style', (style) => {
    const format = envelope({ code: field.code, errors: field('errors', { style: style }) });
    expect(format.parse(JSON.parse(format.serialize(full)))?.fieldErrors).toEqual(full.fieldErrors);
  });

  it('gives every per-code field its value from a catalog entry', () => {
    const catalog = defineErrors(
      { ROOM_FULL: { status: 409, id: 4009, message: 'Room full', title: 'Room full', retryable: true } },
      { docsUrl: 'https://docs.example.com/errors#{code}' },
    );
    const entry = catalog.get('ROOM_FULL')!;
    for (const name of names.filter((n) => errorFields[n].scope === 'code')) {
      expect(errorFields[name].ofEntry?.(entry), name).toEqual(
        full[errorFields[name].key as keyof ErrorView],
      );
    }
  });

  it('rejects a value of the wrong type: the body then does not fit the format', () => {
    const format = envelope({ code: field.code, status: field.status, retryable: field.retryable });
    expect(format.parse({ code: 'X', status: 'four hundred' })).toBeUndefined();
    expect(format.parse({ code: 'X', retryable: 'yes' })).toBeUndefined();
    expect(format.parse({ code: 'X', status: '404' })).toEqual({ code: 'X', status: 404 });
  });

  it('reads a numeric correlation id as text', async () => {
    const body = { code: 'X', correlation_id: 42, status: 400 };
    const error = await parseErrorParts(
      { status: 400, headers: {}, body },
      { formats: [commonFormats.problemJson] },
    );
    expect(error.correlationId).toBe('42');
  });

  it('rejects an unknown field-error style when the format is declared', () => {
    expect(() => envelope({ errors: { $field: 'errors', style: 'tree' } } as never)).toThrow(
      /FAULTLINE_INVALID_FORMAT.*unknown style/,
    );
  });

  it('reuses a compiled body per code only while every per-code field is unchanged', () => {
    const format = envelope({
      code: field.code,
      title: field.title,
      type: field.type,
      id: field('id', { missing: 'null' }),
    });
    const first = JSON.parse(format.serialize({ ...bare, title: 'A' }));
    expect(first).toEqual({ code: 'X', title: 'A', type: 'urn:problem-type:X', id: null });
    expect(JSON.parse(format.serialize({ ...bare, title: 'B', id: 3 }))).toMatchObject({ title: 'B', id: 3 });
    expect(JSON.parse(format.serialize({ ...bare, type: 'https://t' })).type).toBe('https://t');
    expect(JSON.parse(format.serialize({ ...bare, status: 404 })).title).toBe('Not Found');
  });
});

describe('fieldsOf', () => {
  it('lists where a declaration puts each field, and whether every body holds it', () => {
    expect(
      fieldsOf(commonFormats.problemJson.spec).map((p) => `${p.path.join('.')}:${p.field}:${p.always}`),
    ).toEqual([
      'type:type:true',
      'title:title:true',
      'status:status:true',
      'detail:message:true',
      'instance:instance:false',
      'code:code:true',
      'id:id:false',
      'correlation_id:correlationId:false',
      'errors:errors:false',
      'details:details:false',
    ]);
  });
});

describe('ApiError as a view', () => {
  it('serializes an ApiError directly: every field a format reads is on the error', () => {
    const error = new ApiError({ ...full, fieldErrors: full.fieldErrors });
    const body = JSON.parse(commonFormats.problemJson.serialize(error));
    expect(body).toMatchObject({ code: 'ROOM_FULL', id: 4009, correlation_id: 'req-1', status: 409 });
  });
});

describe('the fields of WebSocket events', () => {
  const event = { type: 'session.update', event_id: 'c1', metadata: { trace: ['a', 1] } };
  const view: ErrorView = {
    ...bare,
    eventId: 'evt_1',
    replyTo: 'c1',
    timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    event,
    retryAfter: 1.5,
  };

  it('writes the event id, the client event it answers, the time, an echo and the wait, and reads them back', () => {
    const format = envelope({
      type: 'error',
      event_id: field.eventId,
      at: field.timestamp,
      metadata: field('echo', { path: 'metadata' }),
      error: {
        code: field.code,
        message: field.message,
        reply_to: field.replyTo,
        retry_after: field.retryAfter,
      },
    });
    const body = JSON.parse(format.serialize(view));
    expect(body).toEqual({
      type: 'error',
      event_id: 'evt_1',
      at: '2026-01-02T03:04:05.678Z',
      metadata: { trace: ['a', 1] },
      error: { code: 'X', message: 'm', reply_to: 'c1', retry_after: 1.5 },
    });
    expect(format.parse(body)).toEqual({
      eventId: 'evt_1',
      timestamp: view.timestamp,
      echo: { trace: ['a', 1] },
      code: 'X',
      message: 'm',
      replyTo: 'c1',
      retryAfter: 1.5,
    });
  });

  it('writes the time and the wait in the declared units, and reads them back in ms and seconds', () => {
    const format = envelope({
      code: field.code,
      ms: field('timestamp', { unit: 'ms' }),
      s: field('timestamp', { unit: 's' }),
      wait: field('retryAfter', { unit: 'ms' }),
      id: field.replyTo,
    });
    const body = JSON.parse(format.serialize({ ...view, replyTo: 7 }));
    expect(body).toEqual({
      code: 'X',
      ms: view.timestamp,
      s: Math.floor(view.timestamp! / 1000),
      wait: 1500,
      id: 7,
    });
    expect(format.parse(body)).toMatchObject({ retryAfter: 1.5, replyTo: 7 });
  });

  it('leaves the event members out of bodies whose errors have none, as HTTP answers', () => {
    const format = envelope({
      code: field.code,
      e: field.eventId,
      t: field.timestamp,
      m: field('echo', { path: 'metadata' }),
      r: field.retryAfter,
    });
    expect(format.serialize(bare)).toBe('{"code":"X"}');
    expect(format.serialize({ ...bare, event: 'not an object', timestamp: Number.NaN })).toBe('{"code":"X"}');
  });

  it('gives a client the wait of an event as the error’s retryAfter', async () => {
    const format = envelope({ code: field.code, message: field.message, retry_after: field.retryAfter });
    const body = { code: 'SLOW_DOWN', message: 'slow', retry_after: 2 };
    expect(
      (await parseErrorParts({ status: 400, headers: {}, body }, { formats: [format] })).retryAfter,
    ).toBe(2);
  });

  it('writes ISO times as Date does, across seconds, before 1970 and past year 9999', () => {
    const format = envelope({ code: field.code, at: field.timestamp });
    const times = [0, 999, 1000, 1_700_000_000_123.9, -1, -86_400_001, Date.UTC(10_000, 0, 1, 0, 0, 0, 5)];
    for (let i = 0; i < 200; i++) times.push(Math.floor(Math.random() * 4e12) - 1e12);
    for (const t of times) {
      expect(JSON.parse(format.serialize({ ...bare, timestamp: t })).at, String(t)).toBe(
        new Date(t).toISOString(),
      );
    }
  });

  it('rejects an echo without a path and a unit the field does not know', () => {
    expect(() => envelope({ m: field.echo })).toThrow(/FAULTLINE_INVALID_FORMAT.*echo needs a path/);
    expect(() => envelope({ t: { $field: 'timestamp', unit: 'h' } } as never)).toThrow(/unit h/);
    expect(() => envelope({ r: { $field: 'retryAfter', unit: 'iso' } })).toThrow(/unit iso/);
  });

  it('refuses, as a config error, an unknown missing, a declaration too deep or refering to itself, and no JSON', () => {
    expect(() => envelope({ m: field('message', { missing: 'bogus' as never }) })).toThrow(
      /FAULTLINE_INVALID_FORMAT.*missing must be 'omit' or 'null'/,
    );
    let deep: Record<string, unknown> = { code: field.code };
    for (let i = 0; i < 10_000; i++) deep = { e: deep };
    expect(() => envelope(deep as never)).toThrow(/FAULTLINE_INVALID_FORMAT.*nested deeper than 32/);
    const cyclic: Record<string, unknown> = { code: field.code };
    cyclic.self = cyclic;
    expect(() => envelope(cyclic as never)).toThrow(/FAULTLINE_INVALID_FORMAT/);
    const loop: unknown[] = [];
    loop.push(loop);
    expect(() => envelope({ code: field.code, list: loop } as never)).toThrow(
      /FAULTLINE_INVALID_FORMAT.*no JSON/,
    );
    expect(() => envelope({ code: field.code, big: { $literal: 1n } })).toThrow(
      /FAULTLINE_INVALID_FORMAT.*no JSON/,
    );
  });
});
