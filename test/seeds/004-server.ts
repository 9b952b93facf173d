/**
 * Seed 004 as it ships: `examples/seeds/004/server.ts` in its own process (`node --import tsx`), configured
 * by environment only. Tests reach it over HTTP, read what it printed (its URL and credentials) and its
 * JSON log lines from stderr, and stop it by its pid. Its mail goes to a small relay of the test's own.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';
import { type SeedOptions, start } from '../../examples/seeds/004/app.js';
import type { Mail } from '../../examples/seeds/004/mail.js';
import { type MailRelay, type RelayedMail, type SeedProcess, startMailRelay, startSeed } from './harness.js';

export { type MailRelay, type RelayedMail, type SeedProcess, startMailRelay };

/**
 * The password hash cost of the tests' seeds: the lowest the seed takes, since tests sign in often. A test
 * of the default cost leaves it unset.
 */
export const testHashCost = 10;

/**
 * The password attempts per minute of the tests' seeds: every test signs in from 127.0.0.1, so the
 * per-address limit is out of the way unless a test sets its own.
 */
export const testPasswordRate = 100_000;

/**
 * Starts the shipped server with `env` (and nothing of this process's environment that configures seed
 * 004) on a free port, its password hashes at `testHashCost` and its password attempts at
 * `testPasswordRate` unless `env` says otherwise; rejects if it does not print its URL within 30 s.
 */
export function startSeed004(env: Record<string, string>): Promise<SeedProcess> {
  return startSeed(
    '004',
    { PASSWORD_HASH_COST: String(testHashCost), PASSWORD_RATE: String(testPasswordRate), ...env },
    {
      isolate:
        /^(OWNER_|ADMIN_|PROVIDER_|DRAFT_|MAIL_|RECORDINGS_|LICENSE_|IDLE_|WIDGET_|TRAINING_|CALL_|IP_RATE|GOOGLE_|UNVERIFIED_|RESET_|TICKET_|FORUM_|WORKSPACE|SESSIONS_|PASSWORD_)/,
    },
  );
}

/**
 * The mails the relay had when the control mail to `to` (its subject containing `subject`) came. Make the
 * seed send the control mail by the same path as the mails a test asserts on, after them: the seed starts
 * each delivery in the order it makes the mails, so once the control mail is in, the earlier ones are too,
 * and "no (more) mail" is a finding rather than a wait that ran out.
 */
export async function mailsBefore(relay: MailRelay, to: string, subject: string): Promise<RelayedMail[]> {
  const [control] = await relay.to(to, subject);
  return relay.mails.slice(0, relay.mails.indexOf(control!));
}

/** A random password, as a user would choose one. */
/**
 * A stand-in telephony provider on 127.0.0.1 that records in `dialled` each destination it is asked to
 * dial and answers 201; listening when this resolves.
 */
export async function startDialRecorder(dialled: string[]): Promise<Server> {
  const provider = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      dialled.push((JSON.parse(body) as { to: string }).to);
      res.writeHead(201).end('{}');
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  return provider;
}

export const newPassword = (): string => randomBytes(12).toString('base64url');

let addresses = 0;
/** A fresh address, never used by another test of the run. */
export const freshAddress = (name: string): string =>
  `${name}-${addresses++}-${randomBytes(3).toString('hex')}@example.net`;

/** An answer read whole: its status, its text and its JSON. */
export interface SeedAnswer {
  status: number;
  text: string;
  body: Record<string, any>;
}

/** A client of the running seed at `url()`: bearer tokens, JSON bodies, the auth routes. */
export function seedClient(url: () => string) {
  const request = (
    method: string,
    path: string,
    init: { token?: string; body?: unknown; raw?: string } = {},
  ): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = 'application/json';
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    return fetch(`${url()}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  };
  const answer = async (res: Promise<Response>): Promise<SeedAnswer> => {
    const r = await res;
    const text = await r.text();
    return { status: r.status, text, body: JSON.parse(text || 'null') };
  };
  const loginAs = (email: string, secret: string) =>
    answer(request('POST', '/auth/login', { body: { email, password: secret } }));
  return {
    request,
    answer,
    loginAs,
    signUp: (email: string, secret: string) =>
      answer(request('POST', '/auth/signup', { body: { email, password: secret } })),
    /** The session token of a password that must sign in. */
    async login(email: string, secret: string): Promise<string> {
      const res = await loginAs(email, secret);
      if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${res.text}`);
      return res.body.token as string;
    },
  };
}

/** The token of a verification mail's text. */
export const verificationToken = (text: string): string | undefined =>
  /verification token: (\S+)/.exec(text)?.[1];

/** The catalog's answer to a bad, used or expired mailed token. */
export const invalidTokenAnswer = {
  code: 'VALIDATION_FAILED',
  details: { fieldErrors: { token: 'Invalid or expired' } },
};

/** The seed and its mail relay of one test file: `owner` and `admin` are the passwords it starts with. */
export interface SeedWithMail {
  seed: SeedProcess;
  relay: MailRelay;
  readonly passwords: { readonly owner: string; readonly admin: string };
}

/**
 * Registers the hooks of a test file that runs the shipped seed with its mail going to a relay of the
 * file's own (and a per-IP limit out of the way): started before its tests, both stopped after them.
 */
export function seedWithMail(env: Record<string, string> = {}): SeedWithMail {
  const passwords = { owner: newPassword(), admin: newPassword() };
  const state = { passwords } as SeedWithMail;
  beforeAll(async () => {
    state.relay = await startMailRelay();
    state.seed = await startSeed004({
      OWNER_PASSWORD: passwords.owner,
      ADMIN_PASSWORD: passwords.admin,
      MAIL_URL: state.relay.url,
      IP_RATE: '100000',
      ...env,
    });
  }, 60_000);
  afterAll(async () => {
    await state.seed?.stop();
    await state.relay?.close();
  });
  return state;
}

/**
 * Seed 004 in this process for one describe block, on a clock the test moves (`state.now`), its mail going
 * to `state.mails` as it is made; `options` over the test's own defaults.
 */
export function onClock(options: SeedOptions = {}) {
  const state = {
    now: Date.UTC(2026, 5, 25, 9),
    mails: [] as Mail[],
    running: undefined as unknown as Awaited<ReturnType<typeof start>>,
  };
  beforeAll(async () => {
    state.running = await start(0, {
      clock: { now: () => state.now },
      log: () => {},
      mail: (mail) => state.mails.push(mail),
      passwordHashCost: testHashCost,
      passwordRate: testPasswordRate,
      ...options,
    });
  });
  afterAll(() => state.running?.close());
  return state;
}

/** The mails to `to` whose subject contains `subject`, once `count` have been made (at most 5 s). */
export async function mailed(mails: Mail[], to: string, subject: string, count = 1): Promise<Mail[]> {
  for (let i = 0; i < 100; i++) {
    const found = mails.filter((m) => m.to === to && m.subject.includes(subject));
    if (found.length >= count) return found;
    await sleep(50);
  }
  throw new Error(`no mail "${subject}" to ${to}`);
}
