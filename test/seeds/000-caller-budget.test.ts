/**
 * Seed 000 limits each caller to its rate: one budget per user, whichever of its credentials it sends. A key
 * can mint bearer tokens at will: keyed on each token, every token minted was a fresh budget of its own.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalSeed, startSeedInProcess } from './000-server.js';

let local: LocalSeed;
beforeAll(async () => {
  local = await startSeedInProcess({ rate: 5 });
});
afterAll(() => local?.close());

const send = async (method: string, path: string, auth: Record<string, string>) => {
  const res = await fetch(`${local.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...auth },
    body: method === 'POST' ? JSON.stringify({ ttlSeconds: 600 }) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

it('spends one budget for a key and every token it minted', async () => {
  const key = { 'x-api-key': local.key };
  const tokens: string[] = [];
  for (let i = 0; i < 2; i++) tokens.push((await send('POST', '/v1/auth/tokens', key)).body.token as string);
  // The key spends the budget of five: bounded, it must run out within ten reads.
  let spent = 0;
  while (spent < 10 && (await send('GET', '/v1/accounts/demo', key)).status === 200) spent++;
  expect(spent).toBeLessThanOrEqual(5);
  // Before: each token had a budget of its own, and a key holder as many budgets as it minted tokens.
  for (const token of tokens) {
    for (const scheme of ['Bearer', 'bearer']) {
      const refused = await send('GET', '/v1/accounts/demo', { authorization: `${scheme} ${token}` });
      expect(refused.status).toBe(429);
    }
  }
});
