/** The routes of what a project holds besides its conversations, chats, deployments, flows and functions. */

import type { Router } from 'faultline/node';
import { errors } from './catalog.js';
import * as content from './content.js';
import { created, queryParam } from './http.js';
import type { Kit } from './kit.js';
import { schemas } from './schemas.js';
import { literalRefusal, postUpstream, RefusedUpstream } from './upstream.js';

/** A connector URL that may not be requested; the reason stays in the log, the wire names the field. */
const refusedUrl = (cause: Error) =>
  errors.create('CONNECTORS_VALIDATION_FAILED', undefined, {
    fieldErrors: [{ pointer: '/url', detail: 'Must be an http(s) URL of a public address.' }],
    cause,
  });

export function contentRoutes(router: Router, { platform, project, body, csv, options }: Kit): Router {
  const p = '/v1/projects/:project';
  return router
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
      const refusal = literalRefusal(new URL(input.url), options.upstream.allow);
      if (refusal) throw refusedUrl(new Error(refusal));
      created(res, found.connectors.insert({ id: found.connectors.newId(), project: found.id, ...input }));
    })
    .get(`${p}/connectors/:id`, (req, _res, { params }) =>
      project(req, params.project!).connectors.get(params.id!),
    )
    .post(`${p}/connectors/:id/test`, async (req, _res, { params }) => {
      const connector = project(req, params.project!, 'write').connectors.get(params.id!);
      let upstream: { status: number };
      try {
        upstream = await postUpstream(connector.url, options.upstream);
      } catch (cause) {
        if (cause instanceof RefusedUpstream) throw refusedUrl(cause);
        throw errors.builtin('badGateway', undefined, { cause });
      }
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
    .get(`${p}/variants`, (req, _res, { params }) => ({
      variants: project(req, params.project!).variants.list(),
    }))
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
      const environment = queryParam(url.searchParams, 'environment', () =>
        errors.create('REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT'),
      );
      content.setRealtimeValues(found, environment, values);
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
      created(res, content.addTestCase(found, await body(req, schemas.testCase)));
    })
    .post(`${p}/test-runs`, async (req, _res, { params }) => {
      const found = project(req, params.project!, 'write');
      const { testCaseIds, draftId } = await body(req, schemas.testRun);
      return content.runTests(found, testCaseIds, (p) => {
        // The draft named, else the newest one: it must deploy, as a chat's must.
        const id = draftId ?? p.drafts.list().at(-1)?.id;
        if (id === undefined) throw errors.create('CHAT_DRAFT_NOT_EXIST');
        return platform.autoDeploy(p, id);
      });
    });
}
