/**
 * Seed 002 in this process for the tests of its limits: on a clock the test moves, mailing into `sent` and
 * logging into `logged`, reached over HTTP on 127.0.0.1 (or another loopback address, for a second client).
 */
import { request } from 'node:http';
import { expect } from 'vitest';
import { type SeedOptions, start } from '../../examples/seeds/002/app.js';
import type { Mail } from '../../examples/seeds/002/mail.js';
import type { LogLine } from '../../examples/seeds/shared/run.js';

export const password = 'long enough pw';
export const day = 86_400_000;

export interface Init {
  token?: string;
  cookie?: string;
  tenant?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** The loopback address the request comes from. @default 127.0.0.1 */
  from?: string | undefined;
}
export interface Answer {
  status: number;
  code: string | undefined;
  policies: string[] | undefined;
  retryAfter: string | null;
}

/** A request from `localAddress`, answered as `fetch` answers it. */
function fetchFrom(localAddress: string, url: string, init: RequestInit): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers = init.headers as Record<string, string>;
    const req = request(url, { method: init.method, headers, localAddress, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          for (const one of [value ?? []].flat()) answer.append(name, one);
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: answer }));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end(init.body as string | undefined);
  });
}

/** A seed on a clock the test moves, mailing into `sent` and logging into `logged`. */
export async function seedOn(options: SeedOptions = {}) {
  let at = Date.UTC(2026, 0, 1, 12);
  const sent: Mail[] = [];
  const logged: LogLine[] = [];
  const running = await start(0, {
    passwordHashCost: 10,
    clock: { now: () => at },
    log: (line) => void logged.push(line),
    mailer: { send: async (mail) => void sent.push(mail) },
    authIpRate: 10_000,
    ...options,
  });
  const send = (method: string, path: string, init: Init = {}) => {
    const request: RequestInit = {
      method,
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.cookie ? { cookie: init.cookie } : {}),
        ...(init.tenant ? { 'x-tenant-id': init.tenant } : {}),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    };
    const url = `${running.url}${path}`;
    return init.from === undefined ? fetch(url, request) : fetchFrom(init.from, url, request);
  };
  /** The answer's status, code, `details.policies` and `Retry-After`. */
  const answer = async (res: Response): Promise<Answer> => {
    const body = (await res.json().catch(() => ({}))) as {
      error?: { code?: string; details?: { policies?: string[] } };
    };
    return {
      status: res.status,
      code: body.error?.code,
      policies: body.error?.details?.policies,
      retryAfter: res.headers.get('retry-after'),
    };
  };
  const call = async (method: string, path: string, init: Init = {}) =>
    answer(await send(method, path, init));
  /** Signs in: the bearer token and the refresh cookie. */
  const signIn = async (email: string) => {
    const res = await send('POST', '/api/auth/login', { body: { email, password } });
    expect(res.status).toBe(200);
    const refresh = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('refresh='))!;
    return { token: ((await res.json()) as { token: string }).token, refresh };
  };
  const register = (email: string, company: string) =>
    call('POST', '/api/auth/register', { body: { email, password, company } });
  const signUp = async (email: string, company: string, from?: string) => {
    const reg = await send('POST', '/api/auth/register', { body: { email, password, company }, from });
    expect(reg.status).toBe(201);
    const { tenantId } = (await reg.json()) as { tenantId: string };
    return { ...(await signIn(email)), tenant: tenantId };
  };
  return {
    running,
    send,
    call,
    signIn,
    signUp,
    register,
    sent,
    logged,
    now: () => at,
    advance: (ms: number) => {
      at += ms;
    },
  };
}
export type Seed = Awaited<ReturnType<typeof seedOn>>;

/** Runs `body` against a seed of `options`, closed afterwards. */
export async function withSeed(options: SeedOptions, body: (seed: Seed) => Promise<void>): Promise<void> {
  const seed = await seedOn(options);
  try {
    await body(seed);
  } finally {
    await seed.running.close();
  }
}
