/**
 * Seed 004's limits in front of its password hashes (scrypt, a second of a core and 128 MiB each at the
 * default cost), as it ships: each client address has a budget of password attempts a minute, shared by
 * sign-in, sign-up and password reset, past which they answer `RATE_LIMITED` with `Retry-After` before any
 * hash; and across the server a few hashes run at once and a few more wait, past which a hash answers
 * `RATE_LIMITED` too.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freshAddress as fresh,
  mailsBefore,
  newPassword as password,
  type SeedAnswer,
  type SeedProcess,
  seedClient,
  seedWithMail,
  startSeed004,
} from './004-server.js';

const budget = 5;
const setup = seedWithMail({ PASSWORD_RATE: String(budget) });

/** `POST path` with a JSON `body` from `localAddress`, another client address on this machine's loopback. */
function postFrom(
  localAddress: string,
  path: string,
  body: unknown,
): Promise<SeedAnswer & { retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${setup.seed.url}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, localAddress, timeout: 10_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            body: JSON.parse(text || 'null'),
            retryAfter: res.headers['retry-after'],
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** The page's rate-limit answer: 429 `RATE_LIMITED` with a `Retry-After` of whole seconds. */
function expectRateLimited(res: SeedAnswer & { retryAfter?: string }) {
  expect(res.status, res.text).toBe(429);
  expect(res.body).toMatchObject({ success: false, code: 'RATE_LIMITED' });
  expect(res.retryAfter).toMatch(/^[1-9]\d*$/);
}

describe('seed 004: password attempts per client address (PASSWORD_RATE)', () => {
  const limited = '127.0.0.3';
  const other = '127.0.0.4';
  // The owner's password: a test below resets it.
  let secret = '';
  const owner = () => ({ email: 'owner@example.com', password: secret });

  beforeAll(async () => {
    secret = setup.passwords.owner;
    // Spends the address's budget on wrong passwords: each is a full attempt, answered as one.
    for (let i = 0; i < budget; i++) {
      const res = await postFrom(limited, '/auth/login', {
        email: 'owner@example.com',
        password: password(),
      });
      expect(res.status, res.text).toBe(401);
      expect(res.body.code).toBe('AUTH_INVALID_CREDENTIALS');
    }
  });

  it('refuses the next sign-in from the address with RATE_LIMITED and Retry-After, even with the right password', async () => {
    expectRateLimited(await postFrom(limited, '/auth/login', owner()));
  });

  it('counts sign-up and password reset in the same budget, and refuses them before they do anything', async () => {
    const refused = fresh('refused');
    expectRateLimited(await postFrom(limited, '/auth/signup', { email: refused, password: password() }));

    // A reset token asked for from anywhere (no hash, so not an attempt) is left working by a refused reset.
    const { email } = owner();
    expect((await postFrom(other, '/auth/forgot-password', { email })).status).toBe(202);
    const [mail] = await setup.relay.to(email, 'Reset your password');
    const token = /reset token: (\S+)/.exec(mail!.text)![1]!;
    const chosen = password();
    expectRateLimited(await postFrom(limited, '/auth/reset-password', { token, password: chosen }));
    expect((await postFrom(other, '/auth/reset-password', { token, password: chosen })).status).toBe(204);
    secret = chosen;

    // The refused sign-up made no registration: no verification mail went to its address.
    const control = fresh('control');
    expect((await postFrom(other, '/auth/signup', { email: control, password: password() })).status).toBe(
      202,
    );
    const earlier = await mailsBefore(setup.relay, control, 'Verify your email address');
    expect(earlier.filter((m) => m.to === refused)).toEqual([]);
  });

  it('leaves other addresses their own budget: the owner signs in from another address', async () => {
    const res = await postFrom(other, '/auth/login', owner());
    expect(res.status, res.text).toBe(200);
    expect(res.body.token).toEqual(expect.any(String));
  });
});

describe('seed 004: password hashes at once across the server (PASSWORD_HASHES_MAX, PASSWORD_HASH_QUEUE)', () => {
  let seed: SeedProcess;
  const owner = password();
  beforeAll(async () => {
    // The default cost, so that a hash lasts long enough for the others sent with it to find it running.
    seed = await startSeed004({
      PASSWORD_HASH_COST: '17',
      PASSWORD_HASHES_MAX: '1',
      PASSWORD_HASH_QUEUE: '1',
      OWNER_PASSWORD: owner,
      ADMIN_PASSWORD: password(),
    });
  }, 60_000);
  afterAll(() => seed?.stop());

  it('runs one hash, queues one, and refuses the rest with RATE_LIMITED and Retry-After; then signs in again', async () => {
    const { request, loginAs } = seedClient(() => seed.url);
    // Sign-ins of unknown addresses: each still runs a hash, so that it takes a known one's time.
    const signIn = async () => {
      const res = await request('POST', '/auth/login', {
        body: { email: fresh('nobody'), password: password() },
      });
      const text = await res.text();
      return {
        status: res.status,
        text,
        body: JSON.parse(text),
        retryAfter: res.headers.get('retry-after') ?? undefined,
      };
    };
    const sent = 6;
    const answers = await Promise.all(Array.from({ length: sent }, signIn));
    const refused = answers.filter((res) => res.status === 429);
    for (const res of refused) expectRateLimited(res);
    // Every other answer is a whole sign-in's: a hash ran for it (one running, one waiting at a time).
    for (const res of answers.filter((a) => a.status !== 429))
      expect(res.body.code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThan(sent);

    // The slots came back: a sign-in after them runs its hash.
    const res = await loginAs('owner@example.com', owner);
    expect(res.status, res.text).toBe(200);
  }, 60_000);
});
