/**
 * Seed 000 reads each query parameter once. A parameter given twice is the page's error for that parameter,
 * never its first value alone: `?sort=startedAt&sort=zzz` answered 200, and
 * `?environment=sandbox&environment=bogus` deployed to sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSeed, send000, startSeedInProcess } from './000-server.js';
import { connect } from './ws.js';

const P = '/v1/projects/support-bot';
let local: LocalSeed;

beforeAll(async () => {
  local = await startSeedInProcess();
});
afterAll(() => local?.close());

async function call(method: string, path: string, body?: unknown, key: string | undefined = local.key) {
  const res = await send000(local.url, method, path, { ...(key ? { key } : {}), body });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

/** A new draft of the demo project, with no functions. */
async function newDraft(): Promise<string> {
  const made = await call('POST', `${P}/drafts`, {});
  expect(made.status).toBe(201);
  return made.body.id as string;
}

describe('seed 000 repeated query parameters', () => {
  it.each([
    ['sort', '?sort=startedAt&sort=zzz', 'GET_CONVERSATIONS_INVALID_SORT_PARAMETER'],
    [
      'sort, the same value twice',
      '?sort=startedAt&sort=startedAt',
      'GET_CONVERSATIONS_INVALID_SORT_PARAMETER',
    ],
    ['filter', '?filter=channel:eq:sms&filter=zzz', 'GET_CONVERSATIONS_FILTER_PARSE_ERROR'],
  ])('answers a repeated %s with its 400 on the conversation list', async (_, query, code) => {
    const answered = await call('GET', `${P}/conversations${query}`);
    expect(answered).toMatchObject({ status: 400, body: { success: false, error_code: code, data: null } });
  });

  it('still answers a caller without a key 401 before reading its parameters', async () => {
    const answered = await call('GET', `${P}/conversations?sort=startedAt&sort=zzz`, undefined, '');
    expect(answered).toMatchObject({ status: 401, body: { error_code: 'AUTH_USER_UNAUTHORISED' } });
  });

  it('refuses a deployment to a repeated environment with DEPLOYMENTS_INVALID_ENVIRONMENT and deploys nothing', async () => {
    const draftId = await newDraft();
    const body = { draftId, version: '1.0.0' };
    const refused = await call('POST', `${P}/deployments?environment=sandbox&environment=bogus`, body);
    expect(refused).toMatchObject({ status: 400, body: { error_code: 'DEPLOYMENTS_INVALID_ENVIRONMENT' } });
    // Nothing was deployed: the same draft and version still deploy to sandbox as a first deployment.
    const deployed = await call('POST', `${P}/deployments?environment=sandbox`, body);
    expect(deployed.status).toBe(201);
  });

  it('refuses real-time values for a repeated environment with REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT', async () => {
    const answered = await call('PUT', `${P}/real-time-config/values?environment=sandbox&environment=bogus`, {
      values: {},
    });
    expect(answered).toMatchObject({
      status: 400,
      body: { error_code: 'REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT' },
    });
  });

  it("refuses a chat handshake naming its chat twice with the page's 400 for query parameters", async () => {
    const chat = await call('POST', `${P}/chats`, { draftId: await newDraft() });
    expect(chat.status).toBe(201);
    const id = chat.body.id as string;
    const chatUrl = `${local.url.replace('http', 'ws')}/v1/chat?project=support-bot&chat=${id}`;
    const headers = { 'x-api-key': local.key };
    const opened = await connect(chatUrl, { headers });
    if ('kind' in opened) throw new Error(`handshake refused: ${opened.status} ${opened.body}`);
    opened.ws.close();
    const refused = await connect(`${chatUrl}&chat=${id}`, { headers });
    if (!('kind' in refused)) throw new Error('a chat named twice was opened');
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({ error_code: 'SCHEMA_VALIDATION_FAILED' });
  });
});
