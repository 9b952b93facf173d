import { describe, expect, it } from 'vitest';
import { defineErrors } from '../catalog/define-errors.js';
import {
  apiErrorFields,
  correlationHeaders,
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

  it('fills in an ApiError’s fields from an entry as the table does', () => {
    const entry = defineErrors({ GONE_FOR_GOOD: { status: 410, id: 7, message: 'Gone' } }).get(
      'GONE_FOR_GOOD',
    )!;
    const fromTable = fieldList.filter((row) => row.onApiError).map((row) => [row.key, row.ofEntry?.(entry)]);
    expect(apiErrorFields.map(([key, ofEntry]) => [key, ofEntry?.(entry)])).toEqual(fromTable);
  });
});
