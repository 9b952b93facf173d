/**
 * The routes of seed 002 that work inside a company: invites, members, audiences, flows, SDK API keys,
 * the AI suggestion, and the SDK's event intake (600 requests per minute per API key).
 */
import { randomBytes } from 'node:crypto';
import { guard } from 'faultline/fastify';
import { byHeader, byIp, rateLimit } from 'faultline/guards';
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
const newId = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

export function tenantRoutes(http: SeedApp, parts: RouteParts): void {
  const { app, user, context } = http;
  const { tours } = parts;

  app.post('/api/invites', async (request, reply) => {
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
    const audience = { id: newId('aud'), name };
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
    const flow = { id: newId('flow'), ...input };
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
