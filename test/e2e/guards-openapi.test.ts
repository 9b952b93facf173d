import { validate } from '@readme/openapi-parser';
import { defineErrors } from 'faultline';
import { renderOpenApi } from 'faultline/docs';
import { describe, expect, it } from 'vitest';

const catalog = defineErrors(
  { APP_RATE_LIMITED: { status: 429, message: 'Rate limit exceeded' } },
  { rename: { RATE_LIMITED: 'APP_RATE_LIMITED' } },
);

describe('the codes guards raise in OpenAPI', () => {
  it('lists each guard code, renamed, with the headers its role sends', async () => {
    const document = renderOpenApi(catalog);
    const limited = document.components.responses.Error429;
    expect(Object.keys(limited.content['application/problem+json'].examples)).toEqual(
      expect.arrayContaining(['APP_RATE_LIMITED', 'QUOTA_EXCEEDED', 'COOLDOWN', 'CONCURRENCY_LIMITED']),
    );
    expect(Object.keys(limited.headers).sort()).toEqual(['RateLimit', 'RateLimit-Policy', 'Retry-After']);
    expect(limited.headers['Retry-After'].schema.type).toBe('integer');
    expect(document.components.responses.Error503.headers['Retry-After']).toBeDefined();
    expect(document.components.responses.Error409.headers['Retry-After'].description).toBe(
      'Seconds to wait before retrying (RFC 9110 delay-seconds).',
    );
    const result = await validate(structuredClone(document) as never);
    expect(result.valid, JSON.stringify('errors' in result ? result.errors : [])).toBe(true);
  });
});
