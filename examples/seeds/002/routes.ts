/**
 * The routes of seed 002 that work inside a company: invites, members, audiences, flows, SDK API keys,
 * the AI suggestion, and the SDK's event intake (600 requests per minute per API key). Every route but
 * the SDK's spends from its signed-in account's budget per minute; invites and AI suggestions also from
 * their company's budget per day, and from their client address's: registration asks for no proof of the
 * address, so companies are cheap to make, and a budget per company alone grows with each one made.
 */
import type { FastifyRequest } from 'fastify';
import { guard } from 'faultline/fastify';
import { byHeader, byIp, type KeyOf, quota, rateLimit } from 'faultline/guards';
import { validate } from 'faultline/server';
import type { Store } from 'faultline/stores';
import * as z from 'zod';
import { errors } from './catalog.js';
import { type ApiKey, apiKeyDays, type Tours } from './domain.js';
import { maxEventBytes } from './events.js';
import type { SeedApp } from './http.js';
import type { Mailer } from './mail.js';

/** What these routes need. */
export interface RouteParts {
  tours: Tours;
  limits: Store;
  mailer: Mailer;
  /** The AI provider's completion URL. */
  aiProvider: string;
  /** SDK requests per minute per API key. */
  sdkRate: number;
  /** SDK requests per minute per client address, before the key is looked up. */
  sdkIpRate: number;
  /** Requests per minute per signed-in account on the company routes. */
  accountRate: number;
  /** Invites (each a mail) per company per UTC day. */
  invitesPerDay: number;
  /** AI suggestions (each a paid call to the provider) per company per UTC day. */
  suggestionsPerDay: number;
  /** Invites per client address per UTC day, whatever the company. */
  ipInvitesPerDay: number;
  /** AI suggestions per client address per UTC day, whatever the company. */
  ipSuggestionsPerDay: number;
}

const eventTypes = ['page_view', 'tour_started', 'tour_completed', 'step_viewed', 'survey_answered'] as const;
const schemas = {
  invite: z.object({ email: z.email().max(320), role: z.enum(['admin', 'member']).default('member') }),
  accept: z.object({ token: z.string().min(1).max(200) }),
  audience: z.object({ name: z.string().min(1).max(100) }),
  flow: z.object({ title: z.string().min(1).max(200), audienceId: z.string().max(100).optional() }),
  suggest: z.object({ prompt: z.string().min(1).max(2000) }),
  apiKey: z.object({
    expiresInDays: z.number().int().min(1).max(apiKeyDays.max).default(apiKeyDays.default),
  }),
  events: z.object({
    events: z
      .array(
        z
          .object({
            type: z.enum(eventTypes),
            userId: z.string().max(200).optional(),
            properties: z.record(z.string(), z.unknown()).optional(),
          })
          // SDK keys are public in web pages: one event may not take the whole body (and the buffer with it).
          .refine((event) => Buffer.byteLength(JSON.stringify(event)) <= maxEventBytes, {
            message: `an event may be at most ${maxEventBytes} bytes as JSON`,
          }),
      )
      .min(1)
      .max(500),
  }),
};

export function tenantRoutes(http: SeedApp, parts: RouteParts): void {
  const { app, user, context } = http;
  const { tours } = parts;
  // Keyed on who signed in and the company they work in, never on an address header a caller can vary.
  // A fixed window: its `Retry-After` is the moment the minute's budget is whole again. Admitted answers
  // carry no `RateLimit` fields: a count that changes from one answer to the next would tell apart the
  // answers for a foreign company and an unknown one, which must be the same bytes (a 429 carries them).
  const perAccount = rateLimit({
    name: 'account',
    key: http.accountOf,
    limit: parts.accountRate,
    period: '1m',
    algorithm: 'fixed-window',
    headers: false,
    store: parts.limits,
  });
  const perDay = (name: string, key: KeyOf, limit: number, count: 'all' | 'succeeded') =>
    quota({
      name,
      key,
      limit,
      per: 'day',
      count,
      error: errors.entries.RATE_LIMITED,
      store: parts.limits,
    });
  // Before the body is read, and before any limit: a caller without a valid session is answered 401, never
  // a parse, size or media-type error its body would have earned had the route read it first.
  const signedIn = async (request: FastifyRequest) => {
    user(request);
  };
  const limited = { onRequest: [signedIn, guard(perAccount)] };
  // The client address (the socket's, never a forwarded header) of a request the route goes on with: one
  // it refuses (not signed in, a foreign company) spends nothing, and is answered as without the limit.
  const addressOf: KeyOf = (view) => (http.companyOf(view) === undefined ? undefined : byIp(view));
  // An invite refused (a member's, a full company's) or whose mail failed gives its unit back: the budget
  // counts mails handed over. Every suggestion admitted counts: the provider may bill a failed call too.
  // Each is counted per company and per client address: one address that registers many companies still
  // sends at most its own day's mails and paid calls. The company's day comes first: a suggestion the
  // address's day refuses still spends its company's unit (a quota counting all keeps it), which only a
  // member of that company can cause; the other way round, a company's spent day would let its members
  // spend the day of everyone behind their address.
  const inviting = {
    onRequest: [
      signedIn,
      guard(
        perAccount,
        perDay('invites-per-day', http.companyOf, parts.invitesPerDay, 'succeeded'),
        perDay('ip-invites-per-day', addressOf, parts.ipInvitesPerDay, 'succeeded'),
      ),
    ],
  };
  const suggesting = {
    onRequest: [
      signedIn,
      guard(
        perAccount,
        perDay('suggestions-per-day', http.companyOf, parts.suggestionsPerDay, 'all'),
        perDay('ip-suggestions-per-day', addressOf, parts.ipSuggestionsPerDay, 'all'),
      ),
    ],
  };

  app.post('/api/invites', inviting, async (request, reply) => {
    const { tenant, role } = context(request);
    tours.requireAdmin(role);
    const input = await validate(schemas.invite, request.body);
    const token = tours.invite(tenant, input.email, input.role);
    // The invite exists only once its mail is handed over: an invite nobody can receive is withdrawn.
    try {
      await parts.mailer.send({ to: input.email, template: 'invite', token });
    } catch (cause) {
      tours.withdraw(token);
      throw errors.create('EXTERNAL_SERVICE_ERROR', undefined, { cause });
    }
    return reply.code(202).send({ invited: input.email });
  });
  app.post('/api/invites/accept', limited, async (request) => {
    const caller = user(request);
    const { token } = await validate(schemas.accept, request.body);
    return { tenantId: tours.accept(caller, token).id };
  });
  app.get<{ Params: { id: string } }>('/api/users/:id', limited, async (request) => {
    const { tenant } = context(request);
    return tours.member(tenant, request.params.id);
  });
  app.post('/api/audiences', limited, async (request, reply) => {
    const { tenant } = context(request);
    const { name } = await validate(schemas.audience, request.body);
    return reply.code(201).send(tours.addAudience(tenant, name));
  });
  app.delete<{ Params: { id: string } }>('/api/audiences/:id', limited, async (request, reply) => {
    const { tenant, role } = context(request);
    tours.requireAdmin(role);
    tours.deleteAudience(tenant, request.params.id);
    return reply.code(204).send();
  });
  app.post('/api/flows', limited, async (request, reply) => {
    const { tenant } = context(request);
    const input = await validate(schemas.flow, request.body);
    return reply.code(201).send(tours.addFlow(tenant, input));
  });
  app.get<{ Params: { id: string } }>('/api/flows/:id', limited, async (request) => {
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
  app.post('/api/api-keys', limited, async (request, reply) => {
    const { tenant, role } = context(request);
    tours.requireAdmin(role);
    const { expiresInDays } = await validate(schemas.apiKey, request.body ?? {});
    const made = tours.createApiKey(tenant, expiresInDays);
    return reply.code(201).send({ key: made.key, ...keyView(made) });
  });
  app.get('/api/api-keys', limited, async (request) => {
    const { tenant, role } = context(request);
    tours.requireAdmin(role);
    return { keys: [...tenant.apiKeys.values()].map(keyView) };
  });
  app.delete<{ Params: { id: string } }>('/api/api-keys/:id', limited, async (request, reply) => {
    const { tenant, role } = context(request);
    tours.requireAdmin(role);
    tours.revokeApiKey(tenant, request.params.id);
    return reply.code(204).send();
  });

  app.post('/api/ai/suggest', suggesting, async (request) => {
    context(request);
    const { prompt } = await validate(schemas.suggest, request.body);
    let answer: Response;
    try {
      answer = await fetch(parts.aiProvider, {
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
    const body = (await answer.json().catch(() => ({}))) as { text?: unknown };
    return { suggestion: typeof body.text === 'string' ? body.text : '' };
  });

  // SDK routes: the API key in X-API-Key (never Authorization), 600 requests per minute per key: a fixed
  // window from the key's first request, so that no minute admits more (GCRA would admit its burst and then
  // refill). The key's budget is counted once the key is known to be real, so made-up keys spend none of it;
  // a per-IP limit in front of the lookup bounds those.
  const sdkIp = guard(
    rateLimit({
      name: 'sdk-ip',
      key: byIp,
      limit: parts.sdkIpRate,
      period: '1m',
      algorithm: 'fixed-window',
      store: parts.limits,
    }),
  );
  const authenticated = async (request: { headers: Record<string, unknown> }) => {
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
          limit: parts.sdkRate,
          period: '1m',
          algorithm: 'fixed-window',
        },
      ],
      store: parts.limits,
    }),
  );
  app.post(
    '/api/sdk/events',
    // Before the body is parsed: a caller without a key gets 401, never a parse error.
    { onRequest: [sdkIp, authenticated, sdkLimit] },
    async (request, reply) => {
      const { events } = await validate(schemas.events, request.body);
      return reply.code(202).send({ accepted: await tours.ingest(events) });
    },
  );
}
