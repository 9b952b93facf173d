/**
 * Seed 000 bounds a request head as it bounds a body, by `SEED_000_READ_TIMEOUT_MS`: a head that never ends
 * is answered the page's 408 in its envelope and the connection closes. Only the body was bounded: a stalled
 * head held its connection for node's own bound, about 90 s, before any answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRaw } from '../helpers/raw.js';
import { type SeedProcess, startSeedProcess } from './000-server.js';
import { secret } from './harness.js';

let server: SeedProcess;

beforeAll(async () => {
  server = await startSeedProcess({ SEED_000_ADMIN_KEY: secret(), SEED_000_READ_TIMEOUT_MS: '300' });
});
afterAll(() => server?.stop());

describe('seed 000 request heads', () => {
  it("answers a head that never ends with the page's 408 in its envelope, and closes", async () => {
    // The head's blank line never comes; the answer is awaited for 5 s at most (node's own bound is ~90 s).
    const answer = await sendRaw(server.url, ['GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1'], {
      timeoutMs: 5000,
    });
    expect(answer.status).toBe(408);
    expect(answer.headers.connection).toBe('close');
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      success: false,
      error_code: 'REQUEST_TIMEOUT',
      error: 'The request took too long.',
      data: null,
    });
    expect(body.error_id).toBe(answer.headers['x-polyai-correlation-id']);
  });

  it('still answers a head sent whole', async () => {
    const answer = await sendRaw(server.url, ['GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n']);
    expect(answer.status).toBe(200);
  });
});
