import { describe, expect, it } from 'vitest';
import { defineErrors } from '../catalog/define-errors.js';
import {
  bodyFields,
  correlationHeaders,
  entryFields,
  eventFieldReaders,
  fieldKeys,
  fieldReaders,
} from './field-readers.js';
import { errorFields, fieldList } from './fields.js';

describe('the reading half of the field table', () => {
  it('is the table’s own readers, row for row, under the same keys', () => {
    const readers = { ...fieldReaders, ...eventFieldReaders } as Record<string, unknown>;
    expect(Object.keys(readers)).toEqual(Object.keys(errorFields));
    for (const row of fieldList) {
      expect(row.reader, row.name).toBe(readers[row.name]);
      expect(fieldKeys[row.name] ?? row.name, row.name).toBe(row.key);
    }
    expect(correlationHeaders).toEqual(errorFields.correlationId.headers);
  });

  it('fills in from an entry exactly the ApiError fields the table does, each from its own key', () => {
    const entry = defineErrors({ GONE_FOR_GOOD: { status: 410, id: 7, message: 'Gone' } }).get(
      'GONE_FOR_GOOD',
    )!;
    const rows = fieldList.filter((row) => row.onApiError);
    const keys = (list: typeof rows) => list.map((row) => row.key).sort();
    expect([...entryFields].sort()).toEqual(keys(rows.filter((row) => row.ofEntry)));
    expect([...bodyFields].sort()).toEqual(keys(rows.filter((row) => !row.ofEntry)));
    for (const row of rows.filter((row) => row.ofEntry)) {
      expect(row.ofEntry!(entry), row.key).toBe((entry as unknown as Record<string, unknown>)[row.key]);
    }
  });
});
