/**
 * The demo between tenants: an app never learns whether another app's session or room exists. Asking for
 * another app's object is answered exactly as asking for one that does not exist (status, code, body and
 * header names), and changes nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo } from '../../demo/app.js';
import { close, listen } from '../helpers/http.js';
import { refusal } from './ws-helpers.js';

const keyA = randomBytes(24).toString('base64url');
const keyB = randomBytes(24).toString('base64url');
const { server, state } = createDemo({ logger: false, apps: { 'app-a': keyA, 'app-b': keyB } });
let base = '';
beforeAll(async () => {
  base = await listen(server);
});
afterAll(() => close(server));

const asA = { 'x-app-id': 'app-a', 'x-api-key': keyA };
const asB = { 'x-app-id': 'app-b', 'x-api-key': keyB };

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function call(path: string, headers: Record<string, string>, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(base + path, { ...init, headers: { ...headers, ...init.headers } });
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  };
}

/**
 * What an answer shows about the object it names, its id written as `<id>` and its correlation id left
 * out: the status, the body, the header names, and the values of the headers that describe the body.
 */
function shown(answer: Answer, id: string) {
  const body = answer.body ? JSON.parse(answer.body.replaceAll(id, '<id>')) : undefined;
  if (body && typeof body === 'object') delete body.request_id;
  const { headers } = answer;
  return {
    status: answer.status,
    body,
    headerNames: Object.keys(headers).sort(),
    described: [headers['content-type'], headers['content-length'], headers['content-language']],
  };
}

/** Asks as app B for `path(id)` with A's object's id, then with a random id of the same shape. */
async function asked(ownedByA: string, path: (id: string) => string, init: RequestInit = {}) {
  const other = randomUUID();
  expect(other).toHaveLength(ownedByA.length);
  const theirs = await call(path(ownedByA), asB, init);
  const missing = await call(path(other), asB, init);
  return { theirs: shown(theirs, ownedByA), missing: shown(missing, other), raw: theirs };
}

async function sessionOfA(): Promise<string> {
  const created = await call('/v1/sessions', asA, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: '+100', to: '+200' }),
  });
  expect(created.status).toBe(201);
  return JSON.parse(created.body).id;
}

describe('the demo between tenants', () => {
  it("answers another app's session exactly as a missing one (GET)", async () => {
    const id = await sessionOfA();
    const { theirs, missing, raw } = await asked(id, (s) => `/v1/sessions/${s}`);
    expect(theirs.status).toBe(404);
    expect(theirs.body).toMatchObject({ code: 'SESSION_NOT_FOUND', details: { sessionId: '<id>' } });
    expect(theirs).toEqual(missing);
    expect(raw.body).not.toContain('+100');
  });

  it("answers a DELETE of another app's session as a missing one, and ends nothing", async () => {
    const id = await sessionOfA();
    const { theirs, missing } = await asked(id, (s) => `/v1/sessions/${s}`, { method: 'DELETE' });
    expect(theirs.status).toBe(404);
    expect(theirs).toEqual(missing);
    expect(state.sessions.get(id)?.state).toBe('ringing');
  });

  it("answers every command on another app's session as on a missing one, and runs none", async () => {
    const id = await sessionOfA();
    const json = { 'content-type': 'application/json' };
    for (const [command, body] of [
      ['answer', undefined],
      ['hangup', undefined],
      ['play', { urls: ['https://a.example/x.wav'] }],
      ['play', {}],
      ['dance', undefined],
    ] as const) {
      const init: RequestInit =
        body === undefined
          ? { method: 'POST', headers: { 'content-length': '0' } }
          : { method: 'POST', headers: json, body: JSON.stringify(body) };
      const { theirs, missing } = await asked(id, (s) => `/v1/sessions/${s}/commands/${command}`, init);
      expect(theirs.status, command).toBe(404);
      expect(theirs, command).toEqual(missing);
    }
    expect(state.sessions.get(id)).toMatchObject({ state: 'ringing', commands: [] });
  });

  it("answers another app's room exactly as a missing one", async () => {
    const created = await call('/v1/conferences', asA, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'board' }),
    });
    expect(created.status).toBe(201);
    const id = JSON.parse(created.body).id as string;
    const { theirs, missing, raw } = await asked(id, (r) => `/v1/conferences/${r}`);
    expect(theirs.status).toBe(404);
    expect(theirs.body).toMatchObject({ code: 'ROOM_NOT_FOUND', details: { roomId: '<id>' } });
    expect(theirs).toEqual(missing);
    expect(raw.body).not.toContain('board');
  });

  it('lets an app take a room name another app uses: names are not shared, nor revealed', async () => {
    const first = await call('/v1/conferences', asA, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'standup' }),
    });
    const second = await call('/v1/conferences', asB, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'standup' }),
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(JSON.parse(second.body).id).not.toBe(JSON.parse(first.body).id);
  });

  it("refuses a WebSocket on another app's session exactly as on a missing one", async () => {
    const id = await sessionOfA();
    const ws = base.replace('http:', 'ws:');
    const url = (s: string) => `${ws}/v1/ws?session_id=${s}&app_id=app-b&api_key=${keyB}`;
    const other = randomUUID();
    const theirs = await refusal(url(id));
    const missing = await refusal(url(other));
    const flat = (r: typeof theirs): Answer => ({
      status: r.status,
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)])),
      body: r.body,
    });
    expect(theirs.status).toBe(404);
    expect(JSON.parse(theirs.body).code).toBe('SESSION_NOT_FOUND');
    expect(shown(flat(theirs), id)).toEqual(shown(flat(missing), other));
  });

  it('authenticates before it looks: without the right key, no lookup answers at all', async () => {
    const id = await sessionOfA();
    const wrong = { 'x-app-id': 'app-b', 'x-api-key': keyA };
    for (const path of [(s: string) => `/v1/sessions/${s}`, (s: string) => `/v1/conferences/${s}`]) {
      const theirs = await call(path(id), wrong);
      const missing = await call(path(randomUUID()), wrong);
      expect(theirs.status).toBe(401);
      expect(JSON.parse(theirs.body).code).toBe('INVALID_API_KEY');
      expect(shown(theirs, id)).toEqual(shown(missing, id));
    }
  });
});
