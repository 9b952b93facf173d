/**
 * Seed 002's company routes authenticate before they read a body: a caller without a valid session gets
 * the page's 401 whatever it sends, while a signed-in caller's bad body is answered as before (400, 415,
 * 413). Each through real HTTP on 127.0.0.1, against a seed started in this process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Seed, seedOn } from './002-harness.js';

let seed: Seed;
let owner: { token: string; tenant: string };

beforeAll(async () => {
  seed = await seedOn();
  owner = await seed.signUp('auth-first@example.com', 'Auth First Co');
});
afterAll(() => seed?.running.close());

/** The routes of a company that take a body. */
const routes = [
  ['POST', '/api/flows'],
  ['POST', '/api/audiences'],
  ['DELETE', '/api/audiences/aud_1'],
  ['POST', '/api/invites'],
  ['POST', '/api/invites/accept'],
  ['POST', '/api/api-keys'],
  ['DELETE', '/api/api-keys/key_1'],
  ['POST', '/api/ai/suggest'],
] as const;

/** Bodies no route reads: each with its content type. */
const badBodies = {
  malformed: ['application/json', '{"title":'],
  'not JSON': ['text/plain', 'title=x'],
  'over the 1 MiB limit': ['application/json', JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) })],
} as const;

/** `method path` with `body` and `authorization` (when given): its status and code. */
async function send(method: string, path: string, [type, body]: readonly [string, string], auth?: string) {
  const res = await fetch(`${seed.running.url}${path}`, {
    method,
    headers: {
      'content-type': type,
      'x-tenant-id': owner.tenant,
      ...(auth === undefined ? {} : { authorization: auth }),
    },
    body,
  });
  const answer = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
  return { status: res.status, code: answer.error?.code };
}

describe('seed 002: the company routes authenticate before the body', () => {
  it('answers a caller without a token 401 AUTH_NO_TOKEN, whatever its body', async () => {
    for (const [method, path] of routes)
      for (const [what, body] of Object.entries(badBodies))
        expect([method, path, what, await send(method, path, body)]).toEqual([
          method,
          path,
          what,
          { status: 401, code: 'AUTH_NO_TOKEN' },
        ]);
  });

  it('answers a token that is not this server’s, or whose session ended, 401 with its code, whatever its body', async () => {
    const ended = await seed.signIn('auth-first@example.com');
    expect((await seed.send('POST', '/api/auth/logout', { token: ended.token })).status).toBe(204);
    const tokens = [
      ['Bearer not-a-jwt', 'AUTH_INVALID_TOKEN'],
      ['Bearer eyJzdWIiOiJ4In0.forged', 'AUTH_INVALID_TOKEN'],
      [`Bearer ${ended.token}`, 'AUTH_TOKEN_REVOKED'],
    ] as const;
    for (const [method, path] of routes)
      for (const [what, body] of Object.entries(badBodies))
        for (const [auth, code] of tokens)
          expect([method, path, what, await send(method, path, body, auth)]).toEqual([
            method,
            path,
            what,
            { status: 401, code },
          ]);
  });

  it('answers a signed-in caller’s bad body as before: 400, 415 and 413', async () => {
    const statuses = { malformed: 400, 'not JSON': 415, 'over the 1 MiB limit': 413 };
    for (const [method, path] of routes)
      for (const [what, body] of Object.entries(badBodies)) {
        const answered = await send(method, path, body, `Bearer ${owner.token}`);
        expect([method, path, what, answered.status]).toEqual([
          method,
          path,
          what,
          statuses[what as keyof typeof statuses],
        ]);
      }
  });
});
