import { defineErrors, FaultlineConfigError } from 'faultline';

import { createErrorHandler, type ErrorEvent } from 'faultline/server';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { codeEnvelope } from '../format/common.js';

const errors = defineErrors({
  TICKET_NOT_FOUND: {
    status: 404,
    message: 'Ticket not found',
    collapses: ['unknown-ref', 'wrong-token'],
  },
});

describe('collapsed codes (no existence oracle)', () => {
  it('answers every reason with the same bytes apart from the correlation id', () => {
    const events: ErrorEvent[] = [];
    const handler = createErrorHandler({
      catalog: errors,
      format: codeEnvelope,
      onError: (event) => events.push(event),
    });
    const unknown = handler.handle(errors.create('TICKET_NOT_FOUND', undefined, { reason: 'unknown-ref' }), {
      headers: { 'x-request-id': 'a' },
    });
    const wrong = handler.handle(
      errors.create('TICKET_NOT_FOUND', undefined, { reason: 'wrong-token', cause: new Error('hmac') }),
      { headers: { 'x-request-id': 'a' } },
    );
    expect(wrong.status).toBe(404);
    expect(wrong.body).toBe(unknown.body);
    expect(wrong.headers).toEqual(unknown.headers);
    expect(events.map((e) => e.error.reason)).toEqual(['unknown-ref', 'wrong-token']);
    expect(JSON.stringify(wrong.error)).not.toContain('wrong-token');
  });

  it('drops details, field errors, headers and message overrides given at the call site', () => {
    const loose = errors as unknown as {
      create(code: string, details: unknown, options: Record<string, unknown>): Error;
    };
    const error = loose.create(
      'TICKET_NOT_FOUND',
      { ref: 'T-1' },
      {
        reason: 'unknown-ref',
        message: 'Ticket T-1 has no such token',
        headers: { 'x-hint': 'exists' },
        fieldErrors: [{ pointer: '/token', detail: 'wrong' }],
      },
    );
    expect(error).toMatchObject({ message: 'Ticket not found', details: undefined, fieldErrors: undefined });
    expect((error as unknown as { headers: object }).headers).toEqual({});
  });

  it('lists the reasons on the entry, never in the catalog JSON that an API may publish', () => {
    expect(errors.entries.TICKET_NOT_FOUND.collapses).toEqual(['unknown-ref', 'wrong-token']);
    expect(JSON.stringify(errors.toJSON())).not.toContain('wrong-token');
  });

  it('refuses at definition a collapsed code with details, placeholders or bad reasons', () => {
    const bad = [
      { status: 404, message: 'x', collapses: [] },
      { status: 404, message: 'x', collapses: ['a', 'a'] },
      { status: 404, message: 'x', collapses: [''] },
      { status: 404, message: 'x {ref}', collapses: ['a'], details: z.object({ ref: z.string() }) },
    ];
    for (const definition of bad) {
      expect(() => defineErrors({ X: definition })).toThrow(FaultlineConfigError);
      expect(() => defineErrors({ X: definition })).toThrow(/FAULTLINE_INVALID_COLLAPSE/);
    }
  });
});
