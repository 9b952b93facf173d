/** The HTTP routes of the platform API on faultline's node:http router (content routes in routes-content.ts). */
import { createRouter, type Router } from 'faultline/node';
import type { Auth } from './auth.js';
import { errors } from './catalog.js';
import { listConversations } from './conversations.js';
import type { Platform } from './domain.js';
import { created, expectType, queryParam, readBytes } from './http.js';
import { kit, type RouteOptions } from './kit.js';
import { limitReached } from './limits.js';
import { environments } from './model.js';
import { isWave } from './recordings.js';
import { accountRoutes } from './routes-accounts.js';
import { contentRoutes } from './routes-content.js';
import { schemas } from './schemas.js';

export type { RouteOptions } from './kit.js';

/** Builds the router of the platform API. */
export function routes(platform: Platform, auth: Auth, options: RouteOptions): Router {
  const k = kit(platform, auth, options);
  const { project, body } = k;
  const p = '/v1/projects/:project';

  const router = accountRoutes(
    createRouter().get('/v1/health', () => ({ ok: true })),
    k,
  )
    .get(p, (req, _res, { params }) => {
      const found = project(req, params.project!);
      return { id: found.id, account: found.account };
    })
    .get(`${p}/conversations`, (req, _res, { params, url }) => {
      const found = project(req, params.project!);
      const listed = listConversations(
        found.conversations.list(),
        queryParam(url.searchParams, 'filter', () => errors.create('GET_CONVERSATIONS_FILTER_PARSE_ERROR')),
        queryParam(url.searchParams, 'sort', () => errors.create('GET_CONVERSATIONS_INVALID_SORT_PARAMETER')),
      );
      return { conversations: listed.map(({ id, channel, startedAt }) => ({ id, channel, startedAt })) };
    })
    .post(`${p}/conversations`, async (req, res, { params }) => {
      const found = project(req, params.project!, 'write');
      const input = await body(req, schemas.conversation, 'CONVERSATIONS_VALIDATION_FAILED');
      const { id, channel } = platform.recordConversation(found, input.channel);
      created(res, { id, channel });
    })
    .get(`${p}/conversations/:id`, (req, _res, { params }) => {
      const { id, channel, startedAt } = project(req, params.project!).conversations.get(params.id!);
      return { id, channel, startedAt };
    })
    .put(`${p}/conversations/:id/recording`, async (req, _res, { params }) => {
      const found = project(req, params.project!, 'write');
      const conversation = found.conversations.get(params.id!);
      expectType(req, 'audio/wav', () =>
        errors.builtin('unsupportedMediaType', undefined, { headers: { accept: 'audio/wav' } }),
      );
      // The project's recordings share one byte budget; the recording this one replaces is credited back.
      const room = () =>
        found.limits.recordingBytes - found.recordingBytes + (conversation.recordingBytes ?? 0);
      const budgetFull = () =>
        limitReached(
          `The project's recordings would pass their limit of ${found.limits.recordingBytes} bytes.`,
        );
      const declared = Number(req.headers['content-length']);
      if (room() <= 0 || declared > room()) throw budgetFull();
      const audio = await readBytes(req, options.recordingLimit, options.readTimeout);
      if (!isWave(audio))
        throw errors.create('CONVERSATIONS_VALIDATION_FAILED', undefined, {
          fieldErrors: [{ pointer: '', detail: 'The body is not a RIFF/WAVE file.' }],
        });
      if (audio.length > room()) throw budgetFull();
      // Counted before the write, so that concurrent uploads cannot all pass the check.
      found.recordingBytes += audio.length;
      let stored: string;
      try {
        stored = await options.recordings.put(audio);
      } catch (cause) {
        found.recordingBytes -= audio.length;
        throw cause;
      }
      const previous = conversation.recording;
      const previousBytes = conversation.recordingBytes ?? 0;
      conversation.recording = stored;
      conversation.recordingBytes = audio.length;
      if (previous !== undefined) {
        found.recordingBytes -= previousBytes;
        await options.recordings.remove(previous);
      }
      return { id: conversation.id, recording: { bytes: audio.length } };
    })
    .get(`${p}/conversations/:id/recording`, async (req, res, { params }) => {
      const id = platform.recording(project(req, params.project!), params.id!);
      // A recording lost from the store is a server fault: the generic 500, the store's error only in the log.
      const audio = await options.recordings.get(id);
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
      // The permission comes before the parameter's check, as authentication does; live's if it is named.
      const live = url.searchParams.getAll('environment').includes('live');
      const found = project(req, params.project!, live ? 'deploy-live' : 'write');
      const invalid = () => errors.create('DEPLOYMENTS_INVALID_ENVIRONMENT');
      const environment = queryParam(url.searchParams, 'environment', invalid);
      if (!environments.includes(environment as never)) throw invalid();
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
      return platform.runFunction(found, params.id!, input);
    });
  return contentRoutes(router, k);
}
