import { sValidator } from '@hono/standard-validator';
import { zValidator } from '@hono/zod-validator';
import { defineErrors } from 'faultline';
import { envelope, field } from 'faultline/format';
import { createHonoErrors, requireJson, validationHook } from 'faultline/hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';

const catalog = defineErrors({}, { rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' } });
const format = envelope({ success: false, code: field.code, error: field.message, details: field.details });
const handlers = createHonoErrors({ catalog, format });
const schema = z.object({ email: z.string() });
const app = new Hono();
app.use(handlers.middleware);
app.post('/standard', sValidator('json', schema, validationHook), (c) => c.json(c.req.valid('json')));
app.post('/zod', zValidator('json', schema, validationHook), (c) => c.json(c.req.valid('json')));
app.post('/strict', requireJson(), bodyLimit({ maxSize: 16 }), (c) => c.json({ ok: true }));
app.get('/forbidden', () => {
  throw new HTTPException(403, { message: 'Room belongs to a different application' });
});
app.get('/custom-response', () => {
  throw new HTTPException(401, {
    res: new Response('Unauthorized', { status: 401, headers: { 'www-authenticate': 'Bearer' } }),
  });
});
app.get('/object', () => {
  throw { not: 'an error' };
});
app.onError(handlers.onError);
app.notFound(handlers.notFound);

const post = (body: string, type = 'application/json') => ({
  method: 'POST',
  headers: { 'content-type': type },
  body,
});

describe('faultline/hono', () => {
  it.each(['standard', 'zod'])('maps @hono/%s-validator failures to the validation code', async (route) => {
    const response = await app.request(`/${route}`, post('{"email":1}'));
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.code).toBe('SCHEMA_VALIDATION_FAILED');
  });

  it('maps Hono’s malformed-JSON HTTPException to the malformed-JSON code', async () => {
    const response = await app.request('/standard', post('{"email":'));
    expect(response.status).toBe(400);
    expect((await response.json()).code).toBe('MALFORMED_JSON');
  });

  it('maps an HTTPException by status and keeps its message for the client', async () => {
    const response = await app.request('/forbidden');
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      code: 'FORBIDDEN',
      error: 'Room belongs to a different application',
    });
  });

  it('keeps the headers of an HTTPException with a prepared response', async () => {
    const response = await app.request('/custom-response');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect((await response.json()).code).toBe('UNAUTHORIZED');
  });

  it('maps the body-limit middleware and answers 415 for non-JSON bodies', async () => {
    const big = await app.request('/strict', post(JSON.stringify({ a: 'x'.repeat(100) })));
    expect(big.status).toBe(413);
    expect((await big.json()).code).toBe('BODY_TOO_LARGE');
    const text = await app.request('/strict', post('x', 'text/plain'));
    expect(text.status).toBe(415);
  });

  it('answers a thrown non-Error, which Hono does not hand to onError', async () => {
    const response = await app.request('/object');
    expect(response.status).toBe(500);
    expect((await response.json()).code).toBe('INTERNAL_ERROR');
  });

  it('answers unknown routes in the declared envelope', async () => {
    const response = await app.request('/nope');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});
