/**
 * The sign-in routes of seed 002 under `/api/auth`, and `GET /api/me`. Every `/api/auth/*` route spends
 * from a per-address budget before any check; a password login also spends from the budget of failed
 * attempts of its account from its client address, a reset mail from its address's budget of mails, and a
 * registration from its client address's budget of companies per day.
 */
import { guard } from 'faultline/fastify';
import { byIp, quota, rateLimit } from 'faultline/guards';
import { validate } from 'faultline/server';
import type { Store } from 'faultline/stores';
import * as z from 'zod';
import { type FailedAttemptsOptions, failedAttempts } from '../shared/failed-attempts.js';
import { type GoogleSignInOptions, googleSignIn } from '../shared/google-id-token.js';
import type { Clock, LogSink } from '../shared/run.js';
import { errors } from './catalog.js';
import type { Tours } from './domain.js';
import type { SeedApp } from './http.js';
import type { Mailer } from './mail.js';

/** What the sign-in routes need. */
export interface AuthParts {
  tours: Tours;
  clock: Clock;
  limits: Store;
  mailer: Mailer;
  log: LogSink;
  google?: GoogleSignInOptions | undefined;
  authIpRate?: number | undefined;
  /** Companies registered per client address per UTC day. */
  ipRegistrationsPerDay: number;
  /** Whether the session cookies carry `Secure`. @default true */
  cookieSecure?: boolean | undefined;
  loginFailures?: FailedAttemptsOptions | undefined;
}

const schemas = {
  register: z.object({
    email: z.email().max(320),
    password: z.string().min(8).max(200),
    company: z.string().min(2).max(100),
  }),
  login: z.object({ email: z.string().max(320), password: z.string().max(1024) }),
  google: z.object({ idToken: z.string().min(1).max(8192) }),
  forgot: z.object({ email: z.string().max(320) }),
  reset: z.object({ token: z.string().min(1).max(200), password: z.string().min(8).max(200) }),
};

/** Reset mails per address per hour; past it a request is answered alike and sends nothing. */
const resetMails = { limit: 3, period: 60 * 60_000 };
/** Reset mails being handed to the provider at once; past it one is dropped (and logged). */
const maxPendingMails = 100;

export function authRoutes(http: SeedApp, parts: AuthParts): void {
  const { app, cookie, bearer, user } = http;
  const { tours, clock } = parts;
  // Sign-in is limited twice, in front of any check: per client address on every auth route (a spray of
  // guesses at many accounts), and per account and client address on failed passwords (one address
  // guessing at one account, which the first alone would let guess at its full rate).
  const authIp = rateLimit({
    name: 'auth-ip',
    key: byIp,
    limit: parts.authIpRate ?? 30,
    period: '1m',
    algorithm: 'fixed-window',
    store: parts.limits,
  });
  const onAuth = { onRequest: guard(authIp) };
  // Registering asks for no proof of the address, and every limit of the company routes is counted per
  // account or per company: without a budget of companies per client address (the socket's, never a
  // forwarded header), one address would multiply them all, and fill MAX_TENANTS for everyone. Only a
  // company made counts: a refused registration (a taken address or name) gives its unit back.
  const registering = {
    onRequest: guard(
      authIp,
      quota({
        name: 'ip-registrations-per-day',
        key: byIp,
        limit: parts.ipRegistrationsPerDay,
        per: 'day',
        count: 'succeeded',
        error: errors.entries.RATE_LIMITED,
        store: parts.limits,
      }),
    ),
  };
  const failures = failedAttempts(parts.limits, parts.loginFailures);
  const mails = failedAttempts(parts.limits, resetMails, 'reset-mails:');
  const locked = (wait: number) =>
    errors.create('RATE_LIMITED', undefined, {
      headers: { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) },
    });
  // SameSite=Lax keeps the cookies off cross-site POSTs (the Origin check in http.ts is the second lock);
  // Secure keeps them off plain HTTP, where any network on the way reads them (browsers count
  // http://localhost as secure, so development works with it on).
  const attributes = `HttpOnly; SameSite=Lax${parts.cookieSecure === false ? '' : '; Secure'}`;
  const signedIn = (tokens: { access: string; refresh: string }) => [
    `token=${tokens.access}; ${attributes}; Path=/`,
    `refresh=${tokens.refresh}; ${attributes}; Path=/api/auth`,
  ];

  app.post('/api/auth/register', registering, async (request, reply) => {
    const input = await validate(schemas.register, request.body);
    const { user: created, tenant } = await tours.register(input.email, input.password, input.company);
    return reply.code(201).send({ userId: created.id, tenantId: tenant.id });
  });
  app.post('/api/auth/login', onAuth, async (request, reply) => {
    const input = await validate(schemas.login, request.body);
    // The account as the lookup finds it: spellings that reach one account spend one budget, and an
    // address nobody registered is counted as a real one is, so a lock tells nothing of who exists. The
    // budget is the account's from one client address (the socket's, never a forwarded header): keyed on
    // the account alone, anyone could lock its owner out with wrong passwords (OWASP, account lockout).
    const attempt = `${byIp({ ip: request.ip })} ${input.email.toLowerCase()}`;
    const wait = await failures.take(attempt);
    if (wait !== undefined) throw locked(wait);
    let found: Awaited<ReturnType<Tours['login']>>;
    try {
      found = await tours.login(input.email, input.password);
    } catch (error) {
      // Refused by the full hash queue (its RATE_LIMITED, `Retry-After: 1`), no password was checked: a
      // client that follows the Retry-After must not lock its own account out.
      if (errors.is(error, 'RATE_LIMITED')) await failures.giveBack(attempt);
      throw error;
    }
    // Issued at once after the check: a password reset cannot land between them and miss this session.
    const tokens = tours.issue(found);
    await failures.giveBack(attempt);
    return reply.header('set-cookie', signedIn(tokens)).send({ token: tokens.access });
  });
  // Google sign-in trusts only an ID token verified against the configured keys; unconfigured, it is off.
  const verifier = googleSignIn(parts.google);
  app.post('/api/auth/google', onAuth, async (request) => {
    if (!parts.google)
      throw errors.create('EXTERNAL_SERVICE_ERROR', undefined, {
        cause: new Error('Google sign-in is not configured (GOOGLE_CLIENT_ID and a key)'),
      });
    const { idToken } = await validate(schemas.google, request.body);
    const verdict = await verifier.verify(idToken, clock.now());
    if (!verdict.ok) {
      if (verdict.reason === 'invalid-token') throw errors.create('AUTH_INVALID_TOKEN');
      throw errors.create('EXTERNAL_SERVICE_ERROR', undefined, { cause: verdict.cause ?? verdict.reason });
    }
    return { token: tours.issue(tours.signInWithGoogle(verdict.identity)).access };
  });
  app.post('/api/auth/refresh', onAuth, async (request, reply) => {
    const tokens = tours.refresh(cookie(request, 'refresh'));
    return reply.header('set-cookie', signedIn(tokens)).send({ token: tokens.access });
  });
  app.post('/api/auth/logout', onAuth, async (request, reply) => {
    const token = cookie(request, 'token') ?? bearer(request);
    tours.verify(token);
    tours.revoke(token!);
    return reply.code(204).send();
  });

  // The answer is the same whether the address has an account, and it does not wait for the mail: the
  // time it takes tells nothing either. An address gets at most `resetMails` mails an hour.
  let pending = 0;
  app.post('/api/auth/forgot', onAuth, async (request, reply) => {
    const { email } = await validate(schemas.forgot, request.body);
    const address = email.toLowerCase();
    if ((await mails.take(address)) === undefined) {
      const reset = tours.forgot(address);
      if (reset !== undefined) {
        const warn = (thrown: string) =>
          parts.log({
            level: 'error',
            code: 'MAIL_NOT_SENT',
            status: 202,
            correlationId: String(request.id),
            method: 'POST',
            url: '/api/auth/forgot',
            thrown,
          });
        if (pending >= maxPendingMails) warn('too many mails pending');
        else {
          pending++;
          parts.mailer
            .send({ to: reset.to, template: 'password-reset', token: reset.token })
            .catch((cause: unknown) => warn(cause instanceof Error ? cause.message : String(cause)))
            .finally(() => {
              pending--;
            });
        }
      }
    }
    return reply.code(202).send({ sent: true });
  });
  app.post('/api/auth/reset', onAuth, async (request, reply) => {
    const input = await validate(schemas.reset, request.body);
    await tours.reset(input.token, input.password);
    return reply.code(204).send();
  });

  app.get('/api/me', async (request) => {
    const caller = user(request);
    return { id: caller.id, email: caller.email, tenants: tours.tenantsOf(caller) };
  });
}
