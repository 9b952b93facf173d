import { type ApiError, defineErrors } from 'faultline';
import { type ClientError, createClient, type UnknownApiError } from 'faultline/client';
import { commonFormats, envelope, field } from 'faultline/format';
import { describe, expectTypeOf, it } from 'vitest';
import * as z from 'zod';
import { messageEnvelope } from '../format/common.js';

// The same catalog as test/e2e/client-details.test.ts, whose runtime cases these types mirror.
const errors = defineErrors({
  SESSION_NOT_FOUND: {
    status: 404,
    message: 'Session {sessionId} not found',
    details: z.object({ sessionId: z.string() }),
  },
  PLAN_LIMIT: { status: 402, message: 'Plan limit reached', details: z.object({ limit: z.number() }) },
  ROOM_FULL: { status: 409, message: 'Room is full' },
});
// Without formats the client reads problem+json and the common envelopes, message-only ones included.
const api = createClient({ baseUrl: 'http://127.0.0.1:1', catalog: errors });
const always = createClient({
  baseUrl: 'http://127.0.0.1:1',
  catalog: errors,
  formats: [commonFormats.problemJson],
});
type Errors = ClientError<typeof errors>;
type Always = ClientError<typeof errors, readonly [typeof commonFormats.problemJson]>;

describe('client types', () => {
  it('narrows a caught value to one code with its details', () => {
    const caught: unknown = null;
    if (always.is(caught, 'SESSION_NOT_FOUND'))
      expectTypeOf(caught.details).toEqualTypeOf<{ sessionId: string }>();
    // @ts-expect-error not a code of the catalog
    api.is(caught, 'NOPE');
  });

  it('discriminates the catalog union on code once api.is has set unknown codes apart', () => {
    const error = null as unknown as Always;
    if (always.is(error)) {
      switch (error.code) {
        case 'SESSION_NOT_FOUND':
          expectTypeOf(error.details).toEqualTypeOf<{ sessionId: string }>();
          expectTypeOf(error).toEqualTypeOf<ApiError<'SESSION_NOT_FOUND', { sessionId: string }>>();
          break;
        case 'ROOM_FULL':
          expectTypeOf(error.details).toEqualTypeOf<undefined>();
          break;
      }
    } else {
      expectTypeOf(error).toEqualTypeOf<UnknownApiError>();
      expectTypeOf(error.details).toEqualTypeOf<unknown>();
    }
    expectTypeOf<UnknownApiError>().toExtend<Always>();
    expectTypeOf<UnknownApiError>().toExtend<Errors>();
  });

  it('types result style', async () => {
    const result = await api.safe.get<{ id: string }>('/x');
    if (result.error === undefined) expectTypeOf(result.data).toEqualTypeOf<{ id: string }>();
    else expectTypeOf(result.error).toEqualTypeOf<Errors | Error>();
  });

  it('resolves to the type asked for', () => {
    expectTypeOf(api.get<{ id: string }>('/x')).toEqualTypeOf<Promise<{ id: string }>>();
    expectTypeOf(createClient({ baseUrl: 'http://x' }).get('/x')).toEqualTypeOf<Promise<unknown>>();
  });

  it('types details as the code requires when every format carries them (problem+json)', () => {
    const caught: unknown = null;
    if (always.is(caught, 'SESSION_NOT_FOUND'))
      expectTypeOf(caught.details).toEqualTypeOf<{ sessionId: string }>();
    if (always.is(caught, 'PLAN_LIMIT')) expectTypeOf(caught.details).toEqualTypeOf<{ limit: number }>();
    if (always.is(caught, 'ROOM_FULL')) expectTypeOf(caught.details).toEqualTypeOf<undefined>();
  });

  it('types details as optional without formats: the common envelopes include message-only ones', () => {
    const caught: unknown = null;
    if (api.is(caught, 'SESSION_NOT_FOUND')) {
      expectTypeOf(caught.details).toEqualTypeOf<{ sessionId: string } | undefined>();
      // @ts-expect-error a message-only body may carry none
      caught.details.sessionId;
    }
    if (api.is(caught, 'PLAN_LIMIT'))
      expectTypeOf(caught.details).toEqualTypeOf<{ limit: number } | undefined>();
    if (api.is(caught, 'ROOM_FULL')) expectTypeOf(caught.details).toEqualTypeOf<undefined>();
  });

  it('types details as optional with a message-only format: they come back from message templates only', () => {
    const caught: unknown = null;
    const messageOnly = createClient({ baseUrl: 'http://x', catalog: errors, formats: [messageEnvelope] });
    if (messageOnly.is(caught, 'SESSION_NOT_FOUND')) {
      expectTypeOf(caught.details).toEqualTypeOf<{ sessionId: string } | undefined>();
      // @ts-expect-error a message without placeholders holds no details
      caught.details.sessionId;
    }
    const bare = createClient({
      baseUrl: 'http://x',
      catalog: errors,
      formats: [envelope({ error: field.message })],
    });
    if (bare.is(caught, 'PLAN_LIMIT'))
      expectTypeOf(caught.details).toEqualTypeOf<{ limit: number } | undefined>();
    if (bare.is(caught, 'ROOM_FULL')) expectTypeOf(caught.details).toEqualTypeOf<undefined>();
  });

  it('types details as optional with an envelope that has no details member', () => {
    const caught: unknown = null;
    const format = envelope({ success: false, code: field.code, error: field.message });
    const client = createClient({ baseUrl: 'http://x', catalog: errors, formats: [format] });
    if (client.is(caught, 'SESSION_NOT_FOUND'))
      expectTypeOf(caught.details).toEqualTypeOf<{ sessionId: string } | undefined>();
    const result = null as unknown as Awaited<ReturnType<typeof client.safe.get>>;
    if (result.error && client.is(result.error) && result.error.code === 'PLAN_LIMIT')
      expectTypeOf(result.error.details).toEqualTypeOf<{ limit: number } | undefined>();
  });

  it('types details as optional when only some of the formats carry them', () => {
    const caught: unknown = null;
    const client = createClient({
      baseUrl: 'http://x',
      catalog: errors,
      formats: [messageEnvelope, commonFormats.problemJson],
    });
    if (client.is(caught, 'SESSION_NOT_FOUND')) {
      expectTypeOf(caught.details).toEqualTypeOf<{ sessionId: string } | undefined>();
      expectTypeOf(caught.details?.sessionId).toEqualTypeOf<string | undefined>();
    }
  });
});
