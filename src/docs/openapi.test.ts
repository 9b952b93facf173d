import { ApiError, defineErrors } from 'faultline';
import { diffSnapshots, renderOpenApi, snapshot } from 'faultline/docs';
import { commonFormats, type ErrorFormat, envelope, field } from 'faultline/format';
import { describe, expect, it } from 'vitest';
import { flatEnvelope, nestedEnvelope } from '../format/common.js';
import { errorFields } from '../format/fields.js';
import { describeCatalog } from './model.js';

const catalog = defineErrors({ ROOM_FULL: { status: 409, message: 'Room full' } });

/** The members a format wrote for an error that has nothing optional. */
function writtenFor(format: ErrorFormat): string[] {
  const body = JSON.parse(format.serialize(new ApiError({ code: 'X', status: 400, message: 'm' })));
  const keys: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    for (const [key, child] of Object.entries(value)) {
      keys.push(path + key);
      walk(child, `${path + key}.`);
    }
  };
  walk(body, '');
  return keys.sort();
}

/** The members an OpenAPI schema requires, as dotted paths. */
function requiredBy(schema: Record<string, any>, path = ''): string[] {
  const keys: string[] = [];
  for (const key of schema.required ?? []) {
    keys.push(path + key);
    const child = schema.properties[key];
    if (child.type === 'object') keys.push(...requiredBy(child, `${path + key}.`));
  }
  return keys.sort();
}

describe('renderOpenApi: required members come from the format', () => {
  it.each(Object.values(commonFormats).map((f) => [f.name, f] as const))(
    'requires exactly what the %s format writes for every error',
    (_name, format) => {
      const schema = renderOpenApi(catalog, { format }).components.schemas.Error;
      expect(requiredBy(schema)).toEqual(writtenFor(format));
    },
  );

  it('requires type, title, status, detail and code of problem+json, and no optional extension', () => {
    const schema = renderOpenApi(catalog).components.schemas.Error;
    expect(schema.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
    expect(schema.properties.correlation_id.type).toBe('string');
    expect(schema.properties.code).toMatchObject({ $ref: '#/components/schemas/ErrorCode' });
  });

  it('requires a member written as null when absent, and allows null there', () => {
    const schema = renderOpenApi(catalog, { format: flatEnvelope }).components.schemas.Error;
    expect(schema.required).toContain('error_id');
    expect(schema.properties.error_id.anyOf).toContainEqual({ type: 'null' });
  });

  it('describes each member with the field table’s description', () => {
    const schema = renderOpenApi(catalog, { format: nestedEnvelope }).components.schemas.Error;
    expect(schema.properties.error.properties.statusCode.description).toBe(errorFields.status.description);
  });

  it('requires an alternative only when one of them is always written', () => {
    const format = envelope({
      a: { $first: [field.details, field.code] },
      b: { $first: [field.details, field('id', { missing: 'null' })] },
    });
    const schema = renderOpenApi(catalog, { format }).components.schemas.Error;
    expect(schema.required).toEqual(['a', 'b']);
    const optional = envelope({ code: field.code, a: { $first: [field.details, field.instance] } });
    expect(renderOpenApi(catalog, { format: optional }).components.schemas.Error.required).toEqual(['code']);
  });
});

describe('describeCatalog: the body members', () => {
  it('lists where the format puts each field, with its meaning, from the field table', () => {
    const fields = describeCatalog(catalog, { format: nestedEnvelope }).fields;
    expect(fields.map((f) => `${f.path}:${f.field}:${f.always}`)).toEqual([
      'error.message:message:true',
      'error.statusCode:status:true',
      'error.code:code:true',
      'error.category:category:true',
      'error.details:errors:false',
      'error.details:details:false',
    ]);
    expect(fields[0]?.description).toBe(errorFields.message.description);
    expect(describeCatalog(catalog).fields.find((f) => f.path === 'correlation_id')).toMatchObject({
      field: 'correlationId',
      always: false,
    });
  });
});

describe('snapshot: the recorded fields come from the field table', () => {
  it('records every per-code field the table classes, and reads a lock written before type and title were', () => {
    const lock = snapshot(defineErrors({ ROOM_FULL: { status: 409, id: 7, message: 'Room full' } }));
    const contract = lock.codes.ROOM_FULL!;
    for (const [name, row] of Object.entries(errorFields)) {
      if (row.change !== undefined) expect(contract, name).toHaveProperty(row.key);
    }
    const { type: _type, title: _title, ...older } = contract;
    const before = { ...lock, codes: { ...lock.codes, ROOM_FULL: older } };
    expect(diffSnapshots(before, lock)).toEqual({ breaking: [], additive: [], cosmetic: [] });
  });

  it('calls an id given where there was none additive, and a changed or removed id breaking', () => {
    const withId = (id?: number) =>
      snapshot(defineErrors({ ROOM_FULL: { status: 409, message: 'Room full', ...(id ? { id } : {}) } }));
    expect(diffSnapshots(withId(), withId(7)).additive).toContainEqual({
      code: 'ROOM_FULL',
      kind: 'additive',
      change: 'id none → 7',
    });
    expect(diffSnapshots(withId(7), withId(8)).breaking.map((c) => c.change)).toEqual(['id 7 → 8']);
    expect(diffSnapshots(withId(7), withId()).breaking.map((c) => c.change)).toEqual(['id 7 → none']);
  });
});

it('keeps problemJson the default format of the docs', () => {
  expect(describeCatalog(catalog).contentType).toBe(commonFormats.problemJson.contentType);
});
