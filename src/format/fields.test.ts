import { ApiError, defineErrors } from 'faultline';
import {
  type ErrorField,
  type ErrorView,
  envelope,
  errorFields,
  field,
  fieldErrors,
  fieldsOf,
  orNull,
  parseErrorBody,
  problemJson,
} from 'faultline/format';
import { describe, expect, it } from 'vitest';

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
};

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
    ]);
  });

  it.each(names)('writes %s and reads it back from the same declaration', (name) => {
    const format = envelope({ code: field.code, message: field.message, value: field[name] });
    const parsed = format.parse(JSON.parse(format.serialize(full)));
    const key = errorFields[name].key as keyof ErrorView;
    expect(parsed?.[key as keyof typeof parsed]).toEqual(full[key]);
  });

  it.each(names)('writes %s for every error exactly when the table says every error has it', (name) => {
    const body = JSON.parse(envelope({ code: field.code, value: field[name] }).serialize(bare));
    expect('value' in body).toBe(errorFields[name].always);
  });

  it.each(['pointer', 'path', 'map'] as const)('writes and reads field errors in the %s style', (style) => {
    const format = envelope({ code: field.code, errors: fieldErrors(style) });
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

  it('reads a numeric correlation id as text', () => {
    expect(parseErrorBody({ code: 'X', correlation_id: 42, status: 400 }, [problemJson]).correlationId).toBe(
      '42',
    );
  });

  it('rejects an unknown field-error style when the format is declared', () => {
    expect(() => envelope({ errors: { $field: 'errors', style: 'tree' } } as never)).toThrow(
      /FAULTLINE_INVALID_FORMAT.*unknown style/,
    );
  });

  it('reuses a compiled body per code only while every per-code field is unchanged', () => {
    const format = envelope({ code: field.code, title: field.title, type: field.type, id: orNull(field.id) });
    const first = JSON.parse(format.serialize({ ...bare, title: 'A' }));
    expect(first).toEqual({ code: 'X', title: 'A', type: 'urn:problem-type:X', id: null });
    expect(JSON.parse(format.serialize({ ...bare, title: 'B', id: 3 }))).toMatchObject({ title: 'B', id: 3 });
    expect(JSON.parse(format.serialize({ ...bare, type: 'https://t' })).type).toBe('https://t');
    expect(JSON.parse(format.serialize({ ...bare, status: 404 })).title).toBe('Not Found');
  });
});

describe('fieldsOf', () => {
  it('lists where a declaration puts each field, and whether every body holds it', () => {
    expect(fieldsOf(problemJson.spec).map((p) => `${p.path.join('.')}:${p.field}:${p.always}`)).toEqual([
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
    const body = JSON.parse(problemJson.serialize(error));
    expect(body).toMatchObject({ code: 'ROOM_FULL', id: 4009, correlation_id: 'req-1', status: 409 });
  });
});
