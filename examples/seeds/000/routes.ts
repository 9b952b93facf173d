/** The HTTP routes of the platform API on faultline's node:http router. */

import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { isApiError } from 'faultline';
import { createRouter, type Router, readJson } from 'faultline/node';
import * as z from 'zod';
import type { Auth, Permission, User } from './auth.js';
import { errors } from './catalog.js';
import * as content from './content.js';
import type { Platform } from './domain.js';
import { environments, type Project } from './model.js';

type Code = Parameters<typeof errors.create>[0];

/** Reads a JSON body; a schema failure answers with the resource's own validation code when it has one. */
async function readBody<S extends StandardSchemaV1>(
  req: IncomingMessage,
  schema: S,
  code: Code | undefined,
  readTimeout: number,
): Promise<StandardSchemaV1.InferOutput<S>> {
  try {
    return await readJson(req, { schema, limit: '1mb', readTimeout });
  } catch (error) {
    if (code && isApiError(error) && error.role === 'validation')
      throw errors.create(code as 'CONVERSATIONS_VALIDATION_FAILED', undefined, {
        fieldErrors: error.fieldErrors ?? [],
      });
    throw error;
  }
}

/** Reads a CSV upload; anything but `text/csv` is refused with the route's 415 code. */
async function csv(req: IncomingMessage, unsupported: () => Error, limit = 1024 * 1024): Promise<string> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'text/csv') throw unsupported();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw errors.builtin('bodyTooLarge');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const name = z.string().min(1).max(100);
const schemas = {
  token: z.object({ ttlSeconds: z.number().int().min(1).max(86_400).default(3600) }),
  account: z.object({ id: z.string().min(1).max(64) }),
  project: z.object({ id: z.string().min(1).max(64) }),
  conversation: z.object({ channel: z.enum(['voice', 'chat', 'sms']), recording: z.string().optional() }),
  draft: z.object({ functions: z.array(z.string()).max(100).default([]) }),
  chat: z.object({ draftId: z.string().min(1) }),
  message: z.object({ text: z.string().min(1).max(4000) }),
  deployment: z.object({ draftId: z.string().min(1), version: z.string().regex(/^\d+\.\d+\.\d+$/) }),
  flow: z.object({ name, parameters: z.array(name).max(50).default([]) }),
  flowFunction: z.object({ name }),
  fn: z.object({ name, code: z.string().max(64_000) }),
  run: z.object({ input: z.unknown().optional() }),
  topic: z.object({ name, content: z.string().max(64_000) }),
  connector: z.object({ name, url: z.url({ protocol: /^https?$/ }) }),
  number: z.object({ number: z.string(), connectorId: z.string() }),
  variant: z.object({ name, attributes: z.record(z.string(), z.string()).default({}) }),
  rtSchema: z.object({ schema: z.unknown() }),
  rtValues: z.object({ values: z.unknown() }),
  sms: z.object({ body: z.string().min(1).max(1600) }),
  testCase: z.object({ id: name }),
  testRun: z.object({ testCaseIds: z.array(z.string()).max(1000).optional() }),
};

const filterField = /^(channel|startedAt):(eq|gt|lt):[\w.-]+$/;
const sortFields = new Set(['startedAt', '-startedAt', 'channel', '-channel']);

/** The options the routes take besides the domain. */
export interface RouteOptions {
  /** Where recordings are stored on disk. */
  readonly recordings: string;
  /** How long a body may stall between chunks, in ms. */
  readonly readTimeout: number;
}

/** Builds the router of the platform API. */
export function routes(platform: Platform, auth: Auth, options: RouteOptions): Router {
  const body = <S extends StandardSchemaV1>(req: IncomingMessage, schema: S, code?: Code) =>
    readBody(req, schema, code, options.readTimeout);
  const caller = (req: IncomingMessage, permission: Permission): User => {
    const user = auth.authenticate({ headers: req.headers });
    auth.authorize(user, permission);
    return user;
  };
  const project = (req: IncomingMessage, id: string, permission: Permission = 'read'): Project => {
    const user = caller(req, permission);
    const found = platform.projects.get(id);
    if (found.account !== user.account) throw errors.create('PROJECT_NOT_FOUND');
    return found;
  };
  const created = (res: ServerResponse, value: unknown) => {
    const text = JSON.stringify(value);
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const p = '/v1/projects/:project';

  return createRouter()
    .get('/v1/health', () => ({ ok: true }))
    .post('/v1/auth/tokens', async (req, res) => {
      const user = caller(req, 'read');
      const { ttlSeconds } = await body(req, schemas.token);
      created(res, { token: auth.issueToken(user, ttlSeconds * 1000), expiresIn: ttlSeconds });
    })
    .delete('/v1/auth/tokens/current', (req, res) => {
      caller(req, 'read');
      auth.revoke(String(req.headers.authorization ?? '').slice(7));
      res.writeHead(204).end();
    })
    .post('/v1/accounts', async (req, res) => {
      caller(req, 'account');
      created(res, platform.createAccount((await body(req, schemas.account)).id));
    })
    .get('/v1/accounts/:account', (req, _res, { params }) => {
      caller(req, 'read');
      return platform.account(params.account!);
    })
    .post('/v1/accounts/:account/projects', async (req, res, { params }) => {
      caller(req, 'account');
      const { id } = await body(req, schemas.project);
      const created_ = platform.createProject(params.account!, id);
      created(res, { id: created_.id, account: created_.account });
    })
    .get(p, (req, _res, { params }) => {
      const found = project(req, params.project!);
      return { id: found.id, account: found.account };
    })
    .get(`${p}/conversations`, (req, _res, { params, url }) => {
      const found = project(req, params.project!);
      const filter = url.searchParams.get('filter');
      const sort = url.searchParams.get('sort');
      if (filter !== null && !filter.split(',').every((part) => filterField.test(part)))
        throw errors.create('GET_CONVERSATIONS_FILTER_PARSE_ERROR');
      if (sort !== null && !sortFields.has(sort))
        throw errors.create('GET_CONVERSATIONS_INVALID_SORT_PARAMETER');
      return { conversations: found.conversations.list().map(({ id, channel }) => ({ id, channel })) };
    })
    .post(`${p}/conversations`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      const input = await body(req, schemas.conversation, 'CONVERSATIONS_VALIDATION_FAILED');
      const { id, channel } = platform.recordConversation(found, input.channel, input.recording);
      created(res, { id, channel });
    })
    .get(`${p}/conversations/:id`, (req, _res, { params }) => {
      const { id, channel, startedAt } = project(req, params.project!).conversations.get(params.id!);
      return { id, channel, startedAt };
    })
    .get(`${p}/conversations/:id/recording`, async (req, res, { params }) => {
      const file = platform.recording(project(req, params.project!), params.id!);
      // A recording file lost from disk is a server fault: the generic 500, its path only in the log.
      const audio = await readFile(`${options.recordings}/${file}`);
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': audio.length }).end(audio);
    })
    .post(`${p}/drafts`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      created(res, platform.createDraft(found, (await body(req, schemas.draft)).functions));
    })
    .post(`${p}/chats`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      const chat = platform.startChat(found, (await body(req, schemas.chat)).draftId);
      created(res, { id: chat.id, draftId: chat.draft });
    })
    .post(`${p}/chats/:id/messages`, async (req, _res, { params }) => {
      const found = project(req, params.project!, 'write');
      const { text } = await body(req, schemas.message);
      return platform.say(found, params.id!, text);
    })
    .post(`${p}/deployments`, async (req, res, { params, url }) => {
      const environment = url.searchParams.get('environment');
      const found = project(req, params.project!, environment === 'live' ? 'deploy-live' : 'write');
      if (!environments.includes(environment as never))
        throw errors.create('DEPLOYMENTS_INVALID_ENVIRONMENT');
      const input = await body(req, schemas.deployment, 'DEPLOYMENTS_VALIDATION_FAILED');
      created(res, platform.deploy(found, environment as never, input.draftId, input.version));
    })
    .get(`${p}/deployments/:id`, (req, _res, { params }) =>
      project(req, params.project!).deployments.get(params.id!),
    )
    .post(`${p}/flows`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      const input = await body(req, schemas.flow);
      created(res, platform.createFlow(found, input.name, input.parameters));
    })
    .get(`${p}/flows/:id`, (req, _res, { params }) => project(req, params.project!).flows.get(params.id!))
    .post(`${p}/flows/:id/functions`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      created(res, platform.addFlowFunction(found, params.id!, (await body(req, schemas.flowFunction)).name));
    })
    .post(`${p}/functions`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      const input = await body(req, schemas.fn);
      const { id, name: fnName } = platform.createFunction(found, input.name, input.code);
      created(res, { id, name: fnName });
    })
    .get(`${p}/functions/:id`, (req, _res, { params }) => {
      const { id, name: fnName } = project(req, params.project!).functions.get(params.id!);
      return { id, name: fnName };
    })
    .post(`${p}/functions/:id/check`, (req, _res, { params }) =>
      platform.checkFunction(project(req, params.project!), params.id!),
    )
    .post(`${p}/functions/:id/run`, async (req, _res, { params }) => {
      const found = project(req, params.project!, 'write');
      const { input } = await body(req, schemas.run);
      return { result: platform.runFunction(found, params.id!, input) };
    })
    .post(`${p}/knowledge-base/topics`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      const input = await body(req, schemas.topic, 'KNOWLEDGE_BASE_TOPICS_INVALID');
      created(res, content.addTopic(found, input.name, input.content));
    })
    .post(`${p}/knowledge-base/import`, async (req, _res, { params }) => {
      const found = project(req, params.project!, 'write');
      return content.importTopics(
        found,
        await csv(req, () => errors.create('KNOWLEDGE_BASE_IMPORT_INVALID_TYPE')),
      );
    })
    .post(`${p}/connectors`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      const input = await body(req, schemas.connector, 'CONNECTORS_VALIDATION_FAILED');
      created(res, found.connectors.insert({ id: found.connectors.newId(), project: found.id, ...input }));
    })
    .get(`${p}/connectors/:id`, (req, _res, { params }) =>
      project(req, params.project!).connectors.get(params.id!),
    )
    .post(`${p}/connectors/:id/test`, async (req, _res, { params }) => {
      const connector = project(req, params.project!, 'write').connectors.get(params.id!);
      let upstream: Response;
      try {
        upstream = await fetch(connector.url, { method: 'POST', signal: AbortSignal.timeout(2000) });
      } catch (cause) {
        throw errors.builtin('badGateway', undefined, { cause });
      }
      await upstream.body?.cancel();
      if (upstream.status >= 500)
        throw errors.builtin('badGateway', undefined, { cause: new Error(`upstream ${upstream.status}`) });
      return { ok: true, upstreamStatus: upstream.status };
    })
    .post(`${p}/phone-numbers`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      const input = await body(req, schemas.number);
      created(res, content.importNumber(found, input.number, input.connectorId));
    })
    .get(`${p}/phone-numbers/:number`, (req, _res, { params }) =>
      project(req, params.project!).phoneNumbers.get(params.number!),
    )
    .post(`${p}/variants`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      const input = await body(req, schemas.variant);
      created(res, content.createVariant(found, input.name, input.attributes));
    })
    .delete(`${p}/variants/:id`, (req, res, { params }) => {
      content.removeVariant(project(req, params.project!, 'write'), params.id!);
      res.writeHead(204).end();
    })
    .post(`${p}/variants/import`, async (req, _res, { params }) => {
      const found = project(req, params.project!, 'write');
      return content.importVariants(
        found,
        await csv(req, () =>
          errors.builtin('unsupportedMediaType', undefined, { headers: { accept: 'text/csv' } }),
        ),
      );
    })
    .put(`${p}/real-time-config/schema`, async (req, _res, { params }) => {
      const found = project(req, params.project!, 'realtime');
      content.setRealtimeSchema(found, (await body(req, schemas.rtSchema)).schema);
      return { ok: true };
    })
    .put(`${p}/real-time-config/values`, async (req, _res, { params, url }) => {
      const found = project(req, params.project!, 'realtime');
      const { values } = await body(req, schemas.rtValues);
      content.setRealtimeValues(found, url.searchParams.get('environment'), values);
      return { ok: true };
    })
    .post(`${p}/sms-templates`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      const input = await body(req, schemas.sms);
      created(res, found.smsTemplates.insert({ id: found.smsTemplates.newId(), ...input }));
    })
    .get(`${p}/sms-templates/:id`, (req, _res, { params }) =>
      project(req, params.project!).smsTemplates.get(params.id!),
    )
    .post(`${p}/test-cases`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      const { id } = await body(req, schemas.testCase);
      found.testCases.add(id);
      created(res, { id });
    })
    .post(`${p}/test-runs`, async (req, _res, { params }) => {
      const found = project(req, params.project!, 'write');
      return content.runTests(found, (await body(req, schemas.testRun)).testCaseIds);
    });
}
