import { ApiError, defineErrors, RoleError } from 'faultline';
import { createErrorHandler } from 'faultline/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

// Descriptors of one role share one prebuilt answer per catalog: each answer must carry its own facts only.
const errors = defineErrors(
  {
    HEADER_REQUIRED: {
      status: 400,
      message: 'Send the {header} header.',
      details: z.object({ header: z.string() }),
      members: ['header'],
      headers: { 'x-docs': 'https://example.com/headers' },
    },
    KEY_REFUSED: { status: 401, message: 'Refused.', collapses: ['missing', 'invalid'] },
  },
  { rename: { MISSING_HEADER: 'HEADER_REQUIRED', API_KEY_INVALID: 'KEY_REFUSED' } },
);
const handler = createErrorHandler({ catalog: errors, logger: false });
// A descriptor over a constructed one, as a mechanism raises it per request.
const roleErrorOver = (base: RoleError): RoleError => Object.create(base) as RoleError;

describe('the answer of a role descriptor', () => {
  it('renders each descriptor over its own details, members and headers, never another one’s', () => {
    const a = handler.normalize(
      new RoleError('missingHeader', { details: { header: 'X-App' }, headers: { 'retry-after': '1' } }),
    );
    const b = handler.normalize(new RoleError('missingHeader', { details: { header: 'X-Key' } }));
    expect(a).toMatchObject({ code: 'HEADER_REQUIRED', status: 400, message: 'Send the X-App header.' });
    expect(a.members).toEqual({ header: 'X-App' });
    expect(a.headers).toEqual({ 'x-docs': 'https://example.com/headers', 'retry-after': '1' });
    expect(b).toMatchObject({ message: 'Send the X-Key header.', details: { header: 'X-Key' } });
    expect(b.headers).toEqual({ 'x-docs': 'https://example.com/headers' });
    // Setting what the handler sets per request on one answer leaves the others alone.
    a.correlationId = 'one';
    expect(b.correlationId).toBeUndefined();
    expect(a instanceof ApiError && a instanceof Error).toBe(true);
  });

  it('keeps a message the mechanism was given, and its field errors and cause', () => {
    const cause = new Error('underneath');
    const error = handler.normalize(
      new RoleError('badRequest', { message: 'The request path is malformed.' }),
    );
    expect(error.message).toBe('The request path is malformed.');
    const failed = handler.normalize(new RoleError('badRequest'));
    expect(failed.message).toBe(errors.get('BAD_REQUEST')!.message);
    const validation = createErrorHandler({ catalog: errors }).normalize(
      Object.assign(new RoleError('validationFailed'), {}),
    );
    expect(validation.code).toBe('VALIDATION_FAILED');
    expect((handler.normalize(Object.assign(new RoleError('badRequest'), { cause })) as Error).cause).toBe(
      cause,
    );
  });

  it("answers a mechanism's specific text only over its role's standard message, never over the catalog's own", () => {
    const specific = () => new RoleError('badRequest', { specific: 'The request path is malformed.' });
    expect(handler.normalize(specific()).message).toBe('The request path is malformed.');
    expect(handler.normalize(roleErrorOver(specific())).message).toBe('The request path is malformed.');
    // An API whose errors are told apart by their messages documents its own text for the code.
    const own = defineErrors({ BAD_REQUEST: { status: 400, message: 'Invalid request.' } });
    const answering = createErrorHandler({ catalog: own, logger: false });
    expect(answering.normalize(specific()).message).toBe('Invalid request.');
    expect(answering.normalize(roleErrorOver(specific())).message).toBe('Invalid request.');
    // A message the API set (a guard's `messages`) is its own choice, and wins.
    expect(answering.normalize(new RoleError('badRequest', { message: 'Set by the API.' })).message).toBe(
      'Set by the API.',
    );
  });

  it('a collapsed code answers alike whatever the facts', () => {
    const one = handler.normalize(
      new RoleError('apiKeyInvalid', { details: { leaked: 'k-123' }, message: 'key k-123 unknown' }),
    );
    expect(one).toMatchObject({ code: 'KEY_REFUSED', message: 'Refused.' });
    expect(one.details).toBeUndefined();
    expect(
      JSON.stringify(handler.handle(new RoleError('apiKeyInvalid', { details: { leaked: 'k-123' } })).body),
    ).not.toContain('k-123');
  });
});
