import Fastify, { errorCodes } from 'fastify';
import { createFastifyErrors } from 'faultline/fastify';
import { describe, expect, it } from 'vitest';
import { fastifyCodes } from './translate.js';

describe('translation of Fastify’s own errors', () => {
  it('maps every FST_ERR_* code Fastify exports, so a new one fails until it is mapped', () => {
    const exported = Object.keys(errorCodes).filter((code) => code.startsWith('FST_'));
    expect(exported.length).toBeGreaterThan(50);
    expect(exported.filter((code) => !(code in fastifyCodes))).toEqual([]);
  });

  it('answers every FST_ERR_* error in the catalog, with nothing of Fastify’s text', async () => {
    const app = Fastify();
    await app.register(createFastifyErrors({ onError: false }));
    app.get<{ Querystring: { code: string } }>('/raise', async (request) => {
      const FastifyError = errorCodes[request.query.code as keyof typeof errorCodes];
      throw new FastifyError('secret-a', 'secret-b', 'secret-c');
    });
    const catalogCodes = new Set([
      'BAD_REQUEST',
      'NOT_FOUND',
      'VALIDATION_FAILED',
      'BODY_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'MALFORMED_JSON',
      'SERVICE_UNAVAILABLE',
      'INTERNAL_ERROR',
    ]);
    for (const code of Object.keys(errorCodes)) {
      const response = await app.inject({ method: 'GET', url: `/raise?code=${code}` });
      const body = response.json();
      expect(catalogCodes.has(body.code), `${code} → ${body.code}`).toBe(true);
      expect(response.body).not.toContain('FST_ERR');
      expect(response.body).not.toContain('secret-');
    }
  });
});
