/**
 * Seed 002, probed from its reference page: every answer carries one of the page's seven categories, a
 * refusal under a status the catalog has no code for included. The seed runs in this process.
 */
import { describe, expect, it } from 'vitest';
import { categories } from '../../examples/reference/002.js';
import { sendRaw } from '../helpers/raw.js';
import { withSeed } from './002-harness.js';

describe('seed 002 answers outside its codes', () => {
  it('answers an Expect other than 100-continue 417 in the category VALIDATION', async () => {
    await withSeed({}, async (seed) => {
      const answer = await sendRaw(seed.running.url, [
        'GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 200-ok\r\n\r\n',
      ]);
      const { error } = JSON.parse(answer.body) as { error: { statusCode: number; category: string } };
      expect(answer.status).toBe(417);
      expect(error.statusCode).toBe(417);
      expect(categories).toContain(error.category);
      expect(error.category).toBe('VALIDATION');
    });
  });
});
