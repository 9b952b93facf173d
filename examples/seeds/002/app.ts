/**
 * Seed 002: the product-tour SaaS API of reference page 002 on Fastify. Its nested envelope carries a
 * category per code and validation `details[]` of `{ path, message }`; SDK routes allow 600 requests per
 * minute per API key.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { createFastifyErrors, guard } from 'faultline/fastify';
import { byHeader, byIp, rateLimit } from 'faultline/guards';
import { validate } from 'faultline/server';
import { memoryStore } from 'faultline/stores';
import * as z from 'zod';
import { type FailedAttemptsOptions, failedAttempts } from '../shared/failed-attempts.js';
import { type GoogleSignInOptions, googleSignIn } from '../shared/google-id-token.js';
import { type Clock, type LogSink, logErrors, type Running, systemClock } from '../shared/run.js';
import { errors, format } from './catalog.js';
import { type ApiKey, apiKeyDays, Tours, type ToursOptions, type User } from './domain.js';

/** Options of seed 002. */
export interface SeedOptions extends ToursOptions {
  clock?: Clock;
  log?: LogSink;
  /** The AI provider that suggests tour copy. @default https://ai.invalid */
  aiProvider?: string;
  /** SDK requests per minute per API key. @default 600 */
  sdkRate?: number;
  /** SDK requests per minute per client address, before the key is looked up. @default 6000 */
  sdkIpRate?: number;
  /** Google sign-in: the OAuth client id and the keys ID tokens are checked against. @default off */
  google?: GoogleSignInOptions;
  /** Requests per minute per client address on every `/api/auth/*` route. @default 30 */
  authIpRate?: number;
  /** Failed password logins per account before it is locked for a while. @default 10 per 15 minutes */
  loginFailures?: FailedAttemptsOptions;
}

const eventTypes = ['page_view', 'tour_started', 'tour_completed', 'step_viewed', 'survey_answered'] as const;
const schemas = {
  register: z.object({
    email: z.email(),
    password: z.string().min(8).max(200),
    company: z.string().min(2).max(100),
  }),
  login: z.object({ email: z.string().max(320), password: z.string().max(1024) }),
  google: z.object({ idToken: z.string().min(1).max(8192) }),
  forgot: z.object({ email: z.string() }),
  reset: z.object({ token: z.string().min(1), password: z.string().min(8).max(200) }),
  invite: z.object({ email: z.email(), role: z.enum(['admin', 'member']).default('member') }),
  accept: z.object({ token: z.string().min(1) }),
  audience: z.object({ name: z.string().min(1).max(100) }),
  flow: z.object({ title: z.string().min(1).max(200), audienceId: z.string().optional() }),
  suggest: z.object({ prompt: z.string().min(1).max(2000) }),
  apiKey: z.object({
    expiresInDays: z.number().int().min(1).max(apiKeyDays.max).default(apiKeyDays.default),
  }),
  events: z.object({
    events: z
      .array(
        z.object({
          type: z.enum(eventTypes),
          userId: z.string().optional(),
          properties: z.record(z.string(), z.unknown()).optional(),
        }),
      )
      .min(1)
      .max(500),
  }),
};

function cookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

const bearer = (request: FastifyRequest) => {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
};

export interface Seed {
  readonly app: FastifyInstance;
  readonly tours: Tours;
}

export async function createSeed(options: SeedOptions = {}): Promise<Seed> {
  const clock = options.clock ?? systemClock;
  const tours = new Tours(clock, options);
  const app = Fastify({ bodyLimit: 1024 * 1024 });
  // This instance's own limit state: two seeds in one process (as in tests) never share counters.
  const limits = memoryStore({ now: () => clock.now() });
  app.addHook('onClose', async () => limits.close());
  await app.register(createFastifyErrors({ catalog: errors, format, onError: logErrors(options.log) }));

  // Sign-in is limited twice, in front of any check: per client address on every auth route (a spray of
  // guesses at many accounts), and per account on failed passwords (many addresses guessing at one).
  const authIp = guard(
    rateLimit({ name: 'auth-ip', key: byIp, limit: options.authIpRate ?? 30, period: '1m', store: limits }),
  );
  const onAuth = { onRequest: authIp };
  const failures = failedAttempts(limits, options.loginFailures);
  const locked = (wait: number) =>
    errors.create('RATE_LIMITED', undefined, {
      headers: { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) },
    });

  const user = (request: FastifyRequest): User => tours.verify(cookie(request, 'token') ?? bearer(request));
  const context = (request: FastifyRequest) => {
    const caller = user(request);
    const header = request.headers['x-tenant-id'];
    return { caller, ...tours.tenantOf(caller, typeof header === 'string' ? header : undefined) };
  };

  app.get('/api/health', async () => ({ ok: true }));

  app.post('/api/auth/register', onAuth, async (request, reply) => {
    const input = await validate(schemas.register, request.body);
    const { user: created, tenant } = tours.register(input.email, input.password, input.company);
    return reply.code(201).send({ userId: created.id, tenantId: tenant.id });
  });
  app.post('/api/auth/login', onAuth, async (request, reply) => {
    const input = await validate(schemas.login, request.body);
    // The account as the lookup finds it: spellings that reach one account spend one budget, and an
    // address nobody registered is counted as a real one is, so a lock tells nothing of who exists.
    const account = input.email.toLowerCase();
    const wait = await failures.take(account);
    if (wait !== undefined) throw locked(wait);
    const signedIn = tours.login(input.email, input.password);
    await failures.succeeded(account);
    const tokens = tours.issue(signedIn);
    return reply
      .header('set-cookie', [
        `token=${tokens.access}; HttpOnly; Path=/`,
        `refresh=${tokens.refresh}; HttpOnly; Path=/api/auth`,
      ])
      .send({ token: tokens.access });
  });
  // Google sign-in trusts only an ID token verified against the configured keys; unconfigured, it is off.
  const verifier = googleSignIn(options.google);
  app.post('/api/auth/google', onAuth, async (request) => {
    if (!options.google)
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
    return reply
      .header('set-cookie', [
        `token=${tokens.access}; HttpOnly; Path=/`,
        `refresh=${tokens.refresh}; HttpOnly; Path=/api/auth`,
      ])
      .send({ token: tokens.access });
  });
  app.post('/api/auth/logout', onAuth, async (request, reply) => {
    const token = cookie(request, 'token') ?? bearer(request);
    tours.verify(token);
    tours.revoke(token!);
    return reply.code(204).send();
  });
  app.post('/api/auth/forgot', onAuth, async (request, reply) => {
    tours.forgot((await validate(schemas.forgot, request.body)).email);
    return reply.code(202).send({ sent: true });
  });
  app.post('/api/auth/reset', onAuth, async (request, reply) => {
    const input = await validate(schemas.reset, request.body);
    tours.reset(input.token, input.password);
    return reply.code(204).send();
  });

  app.post('/api/invites', async (request, reply) => {
    const { tenant, role } = context(request);
    tours.requireAdmin(role);
    const input = await validate(schemas.invite, request.body);
    tours.invite(tenant, input.email, input.role);
    return reply.code(202).send({ invited: input.email });
  });
  app.post('/api/invites/accept', async (request) => {
    const caller = user(request);
    const { token } = await validate(schemas.accept, request.body);
    return { tenantId: tours.accept(caller, token).id };
  });
  app.get<{ Params: { id: string } }>('/api/users/:id', async (request) => {
    const { tenant } = context(request);
    return tours.member(tenant, request.params.id);
  });
  app.post('/api/audiences', async (request, reply) => {
    const { tenant } = context(request);
    const { name } = await validate(schemas.audience, request.body);
    const audience = { id: `aud_${tenant.audiences.size + 1}`, name };
    tenant.audiences.set(audience.id, audience);
    return reply.code(201).send(audience);
  });
  app.delete<{ Params: { id: string } }>('/api/audiences/:id', async (request, reply) => {
    const { tenant, role } = context(request);
    tours.requireAdmin(role);
    tours.deleteAudience(tenant, request.params.id);
    return reply.code(204).send();
  });
  app.post('/api/flows', async (request, reply) => {
    const { tenant } = context(request);
    const input = await validate(schemas.flow, request.body);
    if (input.audienceId !== undefined && !tenant.audiences.has(input.audienceId))
      throw errors.create('CONTENT_NOT_FOUND');
    const flow = { id: `flow_${tenant.flows.size + 1}`, ...input };
    tenant.flows.set(flow.id, flow);
    return reply.code(201).send(flow);
  });
  app.get<{ Params: { id: string } }>('/api/flows/:id', async (request) => {
    const flow = context(request).tenant.flows.get(request.params.id);
    if (!flow) throw errors.create('CONTENT_NOT_FOUND');
    return flow;
  });
  const keyView = (k: ApiKey) => ({
    id: k.id,
    prefix: k.prefix,
    createdAt: new Date(k.createdAt).toISOString(),
    expiresAt: new Date(k.expiresAt).toISOString(),
  });
  app.post('/api/api-keys', async (request, reply) => {
    const { tenant, role } = context(request);
    tours.requireAdmin(role);
    const { expiresInDays } = await validate(schemas.apiKey, request.body ?? {});
    const made = tours.createApiKey(tenant, expiresInDays);
    return reply.code(201).send({ key: made.key, ...keyView(made) });
  });
  app.get('/api/api-keys', async (request) => {
    const { tenant, role } = context(request);
    tours.requireAdmin(role);
    return { keys: [...tenant.apiKeys.values()].map(keyView) };
  });
  app.delete<{ Params: { id: string } }>('/api/api-keys/:id', async (request, reply) => {
    const { tenant, role } = context(request);
    tours.requireAdmin(role);
    tours.revokeApiKey(tenant, request.params.id);
    return reply.code(204).send();
  });
  app.post('/api/ai/suggest', async (request) => {
    context(request);
    const { prompt } = await validate(schemas.suggest, request.body);
    let answer: Response;
    try {
      answer = await fetch(options.aiProvider ?? 'https://ai.invalid/v1/complete', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt }),
        signal: AbortSignal.timeout(3000),
      });
    } catch (cause) {
      throw errors.create('EXTERNAL_SERVICE_ERROR', undefined, { cause });
    }
    if (!answer.ok) {
      await answer.body?.cancel();
      throw errors.create('EXTERNAL_SERVICE_ERROR', undefined, {
        cause: new Error(`AI provider answered ${answer.status}`),
      });
    }
    return { suggestion: ((await answer.json()) as { text?: string }).text ?? '' };
  });

  // SDK routes: the API key in X-API-Key (never Authorization), 600 requests per minute per key. The key's
  // budget is counted once the key is known to be real, so made-up keys spend none of it; a per-IP
  // limit in front of the lookup bounds those.
  const sdkIp = guard(
    rateLimit({ name: 'sdk-ip', key: byIp, limit: options.sdkIpRate ?? 6000, period: '1m', store: limits }),
  );
  const authenticated = async (request: FastifyRequest) => {
    const key = request.headers['x-api-key'];
    tours.tenantOfKey(typeof key === 'string' ? key : undefined);
  };
  const apiKeyOf = byHeader('x-api-key');
  const sdkLimit = guard(
    rateLimit({
      policies: [
        {
          name: 'sdk',
          // The key's id, not its spelling: it runs after `authenticated`, so the key is a real one.
          key: (r) => tours.keyIdOf(apiKeyOf(r)),
          limit: options.sdkRate ?? 600,
          period: '1m',
        },
      ],
      store: limits,
    }),
  );
  app.post(
    '/api/sdk/events',
    { onRequest: sdkIp, preHandler: [authenticated, sdkLimit] },
    async (request, reply) => {
      const { events } = await validate(schemas.events, request.body);
      return reply.code(202).send({ accepted: tours.ingest(events) });
    },
  );

  return { app, tours };
}

/** Starts seed 002 on `port` (0: a free one). */
export async function start(port = 0, options: SeedOptions = {}): Promise<Running & { seed: Seed }> {
  const seed = await createSeed(options);
  const address = await seed.app.listen({ port, host: '127.0.0.1' });
  const bound = Number(new URL(address).port);
  return { url: `http://127.0.0.1:${bound}`, port: bound, close: () => seed.app.close(), seed };
}
