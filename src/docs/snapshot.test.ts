import { defineErrors } from 'faultline';
import { diffSnapshots, type Snapshot, snapshot } from 'faultline/docs';
import { envelope, field } from 'faultline/format';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';

// The README's envelope, with the correlation id a support desk quotes.
const readmeEnvelope = envelope({
  success: false,
  code: field.code,
  error: field.message,
  details: field.details,
  request_id: field.correlationId,
});

function catalogOf(orderId: z.ZodType = z.string(), docsUrl = 'https://docs.example.com/errors#{code}') {
  return defineErrors(
    {
      ORDER_EXISTS: {
        status: 409,
        message: 'Order {orderId} already exists',
        details: z.object({ orderId, note: z.string().nullable().optional() }),
      },
    },
    { docsUrl },
  );
}

const lock = snapshot(catalogOf(), { format: readmeEnvelope });
const changes = (after: Snapshot, before = lock) => {
  const diff = diffSnapshots(before, after);
  return [...diff.breaking, ...diff.additive, ...diff.cosmetic].map(
    (c) => `${c.kind} ${c.code}: ${c.change}`,
  );
};

describe('snapshot', () => {
  it('records the members the wire format writes, by JSON Pointer, and the type of each details field', () => {
    expect(lock.format).toEqual({
      contentType: 'application/json',
      members: {
        '/code': ['code'],
        '/details': ['details'],
        '/error': ['message'],
        '/request_id': ['correlationId'],
        '/success': ['=false'],
      },
    });
    expect(lock.codes.ORDER_EXISTS?.details).toEqual({
      properties: ['note', 'orderId'],
      required: ['orderId'],
      types: { note: 'null | string', orderId: 'string' },
    });
  });

  it('records problem+json when no format is given, alternatives in order and field options', () => {
    expect(snapshot(catalogOf()).format?.members['/type']).toEqual(['type']);
    const nested = envelope({
      error: { code: field.code, details: { $first: [field('errors', { style: 'path' }), field.details] } },
    });
    expect(snapshot(catalogOf(), { format: nested }).format?.members).toEqual({
      '/error/code': ['code'],
      '/error/details': ['errors {"style":"path"}', 'details'],
    });
  });
});

describe('diffSnapshots of the wire format', () => {
  it('calls a renamed or removed member of the format breaking, an added one additive', () => {
    const renamed = envelope({
      success: false,
      error_code: field.code,
      error: field.message,
      request_id: field.correlationId,
      at: field.timestamp,
    });
    expect(changes(snapshot(catalogOf(), { format: renamed }))).toEqual([
      'breaking *: format member /code renamed to /error_code',
      'breaking *: format member /details (details) removed',
      'additive *: format member /at added',
    ]);
  });

  it('calls a changed member and a changed content type breaking', () => {
    const changed = envelope(
      { success: 0, code: field.code, error: field.message, details: field.details, request_id: field.code },
      { contentType: 'application/vnd.api+json' },
    );
    expect(changes(snapshot(catalogOf(), { format: changed }))).toEqual([
      'breaking *: content type application/json → application/vnd.api+json',
      'breaking *: format member /request_id correlationId → code',
      'breaking *: format member /success =false → =0',
    ]);
  });

  it('calls a details field whose type changed breaking', () => {
    expect(changes(snapshot(catalogOf(z.number()), { format: readmeEnvelope }))).toEqual([
      'breaking ORDER_EXISTS: details.orderId type string → number',
    ]);
  });

  it('calls a docs URL change cosmetic where the format writes no type, and breaking where it does', () => {
    const moved = catalogOf(z.string(), 'https://docs.example.org/e#{code}');
    const offWire = diffSnapshots(lock, snapshot(moved, { format: readmeEnvelope }));
    expect(offWire.breaking).toEqual([]);
    expect(offWire.cosmetic).toContainEqual({
      code: 'ORDER_EXISTS',
      kind: 'cosmetic',
      change:
        'type https://docs.example.com/errors#ORDER_EXISTS → https://docs.example.org/e#ORDER_EXISTS (the format does not write type)',
    });
    const onWire = diffSnapshots(snapshot(catalogOf()), snapshot(moved));
    expect(onWire.breaking).toContainEqual({
      code: 'ORDER_EXISTS',
      kind: 'breaking',
      change: 'type https://docs.example.com/errors#ORDER_EXISTS → https://docs.example.org/e#ORDER_EXISTS',
    });
  });

  it('diffs a lock written before formats and details types were recorded without false alarms', () => {
    // A lock of an earlier release: no `format`, and details without `types`.
    const old = JSON.parse(JSON.stringify(lock)) as Snapshot;
    delete old.format;
    for (const contract of Object.values(old.codes))
      if (typeof contract.details === 'object') delete contract.details.types;
    expect(changes(lock, old)).toEqual([]);
    expect(changes(snapshot(catalogOf(z.number()), { format: readmeEnvelope }), old)).toEqual([]);
  });
});
