import { ApiError, defineErrors } from 'faultline';
import { commonFormats } from 'faultline/format';
import { consume, measure, report } from './harness.js';

const catalog = defineErrors(
  { SESSION_NOT_FOUND: { status: 404, id: 3001, message: 'Session not found' } },
  { docsUrl: 'https://api.example.com/docs/errors#{code}' },
);
const error = catalog.create('SESSION_NOT_FOUND', undefined, {
  correlationId: '550e8400-e29b-41d4-a716-446655440000',
});
const validation = new ApiError({
  code: 'VALIDATION_FAILED',
  status: 400,
  message: 'Request body failed schema validation.',
  correlationId: '550e8400-e29b-41d4-a716-446655440000',
  fieldErrors: [{ pointer: '/email', detail: 'Invalid email address' }],
});

const encoder = new TextEncoder();

// What a hand-written error path does: build the body object from the error, then JSON.stringify it.
const byHand = {
  'problem+json': (e: ApiError) =>
    JSON.stringify({
      type: e.type,
      title: 'Not Found',
      status: e.status,
      detail: e.message,
      instance: '/v1/sessions/abc',
      code: e.code,
      id: e.id,
      correlation_id: e.correlationId,
    }),
  flat: (e: ApiError) =>
    JSON.stringify({
      success: false,
      error: e.message,
      error_id: e.correlationId ?? null,
      error_code: e.code,
      error_message: e.message,
      data: null,
    }),
  nested: (e: ApiError) =>
    JSON.stringify({
      error: {
        message: e.message,
        statusCode: e.status,
        code: e.code,
        category: e.category,
        details: e.fieldErrors?.map((f) => ({
          path: f.pointer.slice(1).replaceAll('/', '.'),
          message: f.detail,
        })),
      },
    }),
  code: (e: ApiError) =>
    JSON.stringify({
      success: false,
      code: e.code,
      error: e.message,
      details: {
        fieldErrors: Object.fromEntries((e.fieldErrors ?? []).map((f) => [f.pointer.slice(1), f.detail])),
      },
    }),
};

/** Serializer against JSON.stringify of the same object, each body's bytes counted as a server must. */
export async function benchFormats(): Promise<void> {
  const view = { ...error.toJSON(), instance: '/v1/sessions/abc' };
  const cases = [
    ['problem+json', () => commonFormats.problemJson.serialize(view), () => byHand['problem+json'](error)],
    ['flat (page 000)', () => commonFormats.flat.serialize(error), () => byHand.flat(error)],
    ['nested (page 002)', () => commonFormats.nested.serialize(validation), () => byHand.nested(validation)],
    ['code (page 004)', () => commonFormats.code.serialize(validation), () => byHand.code(validation)],
  ] as const;
  for (const [name, compiled, stringify] of cases) {
    const results = await measure([
      { name: 'JSON.stringify of the equivalent object', fn: () => consume(stringify()) },
      { name: `${name} compiled serializer`, fn: () => consume(compiled()) },
      // A server must turn the body into bytes: a concatenated string pays for flattening there.
      { name: 'JSON.stringify + Buffer.byteLength', fn: () => consume(Buffer.byteLength(stringify())) },
      { name: 'compiled serializer + Buffer.byteLength', fn: () => consume(Buffer.byteLength(compiled())) },
      // What a Web runtime (Hono on Workers, Deno, Bun) does with a body: encode it with TextEncoder.
      { name: 'JSON.stringify + TextEncoder', fn: () => consume(encoder.encode(stringify())) },
      { name: 'compiled serializer + TextEncoder', fn: () => consume(encoder.encode(compiled())) },
    ]);
    report(
      `Format ${name}: compiled serializer vs JSON.stringify`,
      results,
      'JSON.stringify of the equivalent object',
    );
  }
}
