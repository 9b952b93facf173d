import { randomBytes } from 'node:crypto';
import { parseErrorParts } from 'faultline/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDemo } from '../../demo/app.js';
import { demoFormat, errors } from '../../demo/catalog.js';
import { DemoState } from '../../demo/state.js';
import { close, listen } from '../helpers/http.js';
import { sendRaw } from '../helpers/raw.js';
import { freePort, startCommand } from '../helpers/spawn.js';

// The apps' keys, made per run: the demo takes no key written in the repository.
const demoKey = randomBytes(24).toString('base64url');
const otherKey = randomBytes(24).toString('base64url');
const apps = { 'demo-app': demoKey, 'other-app': otherKey };
const logged: string[] = [];
const { server, state } = createDemo({ apps, onError: (event) => logged.push(event.error.code) });
let base = '';
beforeAll(async () => {
  base = await listen(server);
});
afterAll(() => close(server));

const auth = { 'x-app-id': 'demo-app', 'x-api-key': demoKey };

async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers({ ...auth, ...(init.headers as Record<string, string>) });
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const response = await fetch(base + path, { ...init, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

describe('the demo API', () => {
  it('answers in its own envelope with its own codes and ids', async () => {
    const { status, body, headers } = await call('/v1/sessions/nope');
    expect(status).toBe(404);
    expect(headers.get('content-type')).toBe('application/json');
    expect(body).toEqual({
      success: false,
      code: 'SESSION_NOT_FOUND',
      error: 'Session not found',
      request_id: headers.get('x-request-id'),
      details: { sessionId: 'nope' },
    });
  });

  it('checks its header guards in order: app id, app id format, API key', async () => {
    expect((await call('/v1/sessions/x', { headers: { 'x-app-id': '' } })).body.code).toBe('MISSING_APP_ID');
    expect((await call('/v1/sessions/x', { headers: { 'x-app-id': 'bad app!' } })).body.code).toBe(
      'INVALID_APP_ID',
    );
    expect((await call('/v1/sessions/x', { headers: { 'x-api-key': '' } })).body.code).toBe(
      'MISSING_API_KEY',
    );
    const wrong = await call('/v1/sessions/x', { headers: { 'x-api-key': 'nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('INVALID_API_KEY');
  });

  it('raises its renamed built-ins from the body reader', async () => {
    const malformed = await call('/v1/sessions', {
      method: 'POST',
      body: '{',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'INVALID_REQUEST_BODY', error: 'Invalid request body' });
    const invalid = await call('/v1/sessions', { method: 'POST', json: { from: 1 } });
    expect(invalid.body.code).toBe('SCHEMA_VALIDATION_FAILED');
    expect(Object.keys(invalid.body.details.fieldErrors)).toEqual(['from', 'to']);
    expect((await call('/v1/nowhere')).body.code).toBe('ROUTE_NOT_FOUND');
  });

  it('runs a session through its commands', async () => {
    const created = await call('/v1/sessions', { method: 'POST', json: { from: '+100', to: '+200' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await call(`/v1/sessions/${id}/commands/answer`, { method: 'POST' })).body.state).toBe(
      'answered',
    );
    expect((await call(`/v1/sessions/${id}/commands/play`, { method: 'POST', json: {} })).body.code).toBe(
      'URLS_REQUIRED',
    );
    const unknown = await call(`/v1/sessions/${id}/commands/dance`, { method: 'POST' });
    expect(unknown.body).toMatchObject({ code: 'INVALID_COMMAND', error: 'Invalid command dance' });
    expect(unknown.body.details.supported).toContain('answer');
    expect((await call(`/v1/sessions/${id}/commands/hangup`, { method: 'POST' })).body.state).toBe('ended');
    expect((await call(`/v1/sessions/${id}/commands/answer`, { method: 'POST' })).status).toBe(409);
    const other = await call(`/v1/sessions/${id}`, {
      headers: { 'x-app-id': 'other-app', 'x-api-key': otherKey },
    });
    // Another app's session is answered as a missing one: test/e2e/demo-tenants.test.ts.
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('SESSION_NOT_FOUND');
  });

  it.each([
    ['application/json', 'content-type: application/json\r\n'],
    ['text/plain', 'content-type: text/plain\r\n'],
    ['no type', ''],
  ])(
    'takes a command sent without a body (no Content-Length, as curl -X POST sends it), with %s',
    async (_type, head) => {
      for (const command of ['answer', 'hangup']) {
        const created = await call('/v1/sessions', { method: 'POST', json: { from: '+100', to: '+200' } });
        const answer = await sendRaw(base, [
          `POST /v1/sessions/${created.body.id}/commands/${command} HTTP/1.1\r\nhost: x\r\n` +
            `x-app-id: demo-app\r\nx-api-key: ${demoKey}\r\n${head}\r\n`,
        ]);
        expect({ command, status: answer.status }).toEqual({ command, status: 200 });
      }
    },
  );

  it('limits command bodies to 64 KiB while other routes take 1 MiB', async () => {
    const created = await call('/v1/sessions', {
      method: 'POST',
      json: { from: 'a', to: 'b', pad: 'x'.repeat(100_000) },
    });
    expect(created.status).toBe(201);
    const big = await call(`/v1/sessions/${created.body.id}/commands/play`, {
      method: 'POST',
      json: { urls: ['https://a.example/x.wav'], pad: 'x'.repeat(100_000) },
    });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('BODY_TOO_LARGE');
  });

  it('refuses a second conference with the same name, pointing at the first', async () => {
    const first = await call('/v1/conferences', { method: 'POST', json: { name: 'standup' } });
    const second = await call('/v1/conferences', { method: 'POST', json: { name: 'standup' } });
    expect(second.status).toBe(409);
    expect(second.body.details).toEqual({ name: 'standup', roomId: first.body.id });
    expect((await call('/v1/conferences/none')).body.code).toBe('ROOM_NOT_FOUND');
  });

  it('answers a state store outage as its documented 500, and logs it', async () => {
    state.available = false;
    try {
      const { status, body } = await call('/v1/sessions/x');
      expect(status).toBe(500);
      expect(body.code).toBe('STATE_STORE_UNAVAILABLE');
      expect(logged).toContain('STATE_STORE_UNAVAILABLE');
    } finally {
      state.available = true;
    }
  });

  it('answers in French for Accept-Language: fr, with the same code', async () => {
    const { status, headers, body } = await call('/v1/sessions/nope', {
      headers: { 'accept-language': 'fr-FR, en;q=0.5' },
    });
    expect(status).toBe(404);
    expect(headers.get('content-language')).toBe('fr');
    expect(body).toMatchObject({ code: 'SESSION_NOT_FOUND', error: 'Session introuvable' });
    const english = await call('/v1/sessions/nope', { headers: { 'accept-language': 'de' } });
    expect(english.body.error).toBe('Session not found');
  });

  it('serves its catalog as JSON at GET /errors', async () => {
    const { status, body } = await call('/errors');
    expect(status).toBe(200);
    const codes = body.entries.map((e: { code: string }) => e.code);
    expect(codes).toEqual([...errors.codes]);
    expect(body.entries.find((e: { code: string }) => e.code === 'INVALID_APP_ID')).toMatchObject({
      id: 1002,
      status: 400,
      group: 'request',
      fix: expect.any(String),
    });
  });

  it('is parsed back into the same error from its own envelope', async () => {
    const { body, status } = await call('/v1/conferences/none');
    const error = await parseErrorParts(
      { status, headers: {}, body },
      { formats: [demoFormat], catalog: errors },
    );
    expect(error).toMatchObject({
      code: 'ROOM_NOT_FOUND',
      id: 4001,
      status: 404,
      details: { roomId: 'none' },
    });
  });
});

describe('the demo log', () => {
  /** Runs one request against a demo with the default log, and returns what it wrote with console.error. */
  async function logged(state: DemoState, path: string, init: RequestInit = {}) {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    const { server } = createDemo({ apps, state });
    try {
      const base = await listen(server);
      const response = await fetch(base + path, { ...init, headers: { ...auth, ...init.headers } });
      await response.arrayBuffer();
      return { status: response.status, id: response.headers.get('x-request-id')!, lines };
    } finally {
      spy.mockRestore();
      await close(server);
    }
  }

  it('logs an unexpected error once, with its correlation id (was twice: the onError hook and the default log)', async () => {
    const state = new DemoState();
    state.createSession = () => {
      throw new Error('disk full');
    };
    const answer = await logged(state, '/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'a', to: 'b' }),
    });
    expect(answer.status).toBe(500);
    expect(answer.lines).toHaveLength(1);
    expect(answer.lines[0]).toContain(answer.id);
    expect(answer.lines[0]).toContain('disk full');
  });

  it('logs a 5xx it answers on purpose (a state store outage) once too', async () => {
    const state = new DemoState();
    state.available = false;
    const answer = await logged(state, '/v1/sessions/x');
    expect(answer.status).toBe(500);
    expect(answer.lines).toHaveLength(1);
    expect(answer.lines[0]).toContain(answer.id);
    expect(answer.lines[0]).toContain('STATE_STORE_UNAVAILABLE');
  });
});

describe('npm start', () => {
  it('starts the demo on PORT, prints its URL and answers', async () => {
    const port = await freePort();
    const started = await startCommand('npm', ['start', '--silent'], port);
    try {
      expect(started.output).toContain(`http://127.0.0.1:${port}`);
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      expect(await response.json()).toEqual({ ok: true });
    } finally {
      started.stop();
    }
  }, 60_000);
});
