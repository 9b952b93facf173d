import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { errors, format } from '../../examples/reference/000.js';
import { start } from '../../examples/seeds/000/app.js';
import type { LogLine } from '../../examples/seeds/shared/run.js';
import { expectRow, type Observed, observe, type Probe, rowsOf, summary } from './harness.js';

let now = Date.UTC(2026, 0, 1);
const clock = { now: () => now };
const log: LogLine[] = [];
let seed: Awaited<ReturnType<typeof start>>;
let upstream: Server;
let upstreamUrl: string;
const keys: Record<string, string> = {};

const contract = { catalog: errors, format, correlationHeader: 'x-polyai-correlation-id' };

function call(
  method: string,
  path: string,
  init: {
    key?: string;
    token?: string;
    body?: unknown;
    raw?: string;
    type?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Observed> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key) headers['x-api-key'] = init.key;
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  if (init.raw !== undefined) {
    body = init.raw;
    headers['content-type'] = init.type ?? 'text/plain';
  }
  return observe(fetch(`${seed.url}${path}`, { method, headers, body }));
}

async function created(path: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${seed.url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': keys.admin!, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(201);
  return (await res.json()) as { id: string };
}

const P = '/v1/projects/bot';
const admin = () => keys.admin!;

const probes: Record<string, Probe> = {
  SCHEMA_VALIDATION_FAILED: () => call('POST', '/v1/accounts', { key: admin(), body: { id: 42 } }),
  AUTH_USER_NOT_FOUND: () => call('GET', P, { key: keys.removed! }),
  AUTH_USER_UNAUTHORISED: () => call('GET', P, { key: 'key_unknown' }),
  AUTH_USER_INVALID_TOKEN: async () => {
    const res = await fetch(`${seed.url}/v1/auth/tokens`, {
      method: 'POST',
      headers: { 'x-api-key': admin(), 'content-type': 'application/json' },
      body: JSON.stringify({ ttlSeconds: 60 }),
    });
    const { token } = (await res.json()) as { token: string };
    now += 61_000;
    return call('GET', P, { token });
  },
  USER_ACCESS_FORBIDDEN: () => call('POST', `${P}/flows`, { key: keys.viewer!, body: { name: 'x' } }),
  EXTERNAL_USER_FORBIDDEN: () =>
    call('POST', `${P}/deployments?environment=live`, {
      key: keys.external!,
      body: { draftId: 'd', version: '1.0.0' },
    }),
  ACCOUNT_INSUFFICIENT_PERMISSIONS: () =>
    call('POST', '/v1/accounts/acme/projects', { key: keys.editor!, body: { id: 'other' } }),
  CONVERSATIONS_NOT_FOUND: () => call('GET', `${P}/conversations/conv_nope`, { key: admin() }),
  CONVERSATIONS_VALIDATION_FAILED: () =>
    call('POST', `${P}/conversations`, { key: admin(), body: { channel: 'fax' } }),
  CONVERSATIONS_RECORDING_NOT_FOUND: async () => {
    const { id } = await created(`${P}/conversations`, { channel: 'chat' });
    return call('GET', `${P}/conversations/${id}/recording`, { key: admin() });
  },
  GET_CONVERSATIONS_FILTER_PARSE_ERROR: () =>
    call('GET', `${P}/conversations?filter=channel==voice`, { key: admin() }),
  GET_CONVERSATIONS_INVALID_SORT_PARAMETER: () =>
    call('GET', `${P}/conversations?sort=password`, { key: admin() }),
  CHAT_DRAFT_NOT_EXIST: () => call('POST', `${P}/chats`, { key: admin(), body: { draftId: 'draft_nope' } }),
  CHAT_TIMEOUT: async () => {
    const draft = await created(`${P}/drafts`, {});
    const chat = await created(`${P}/chats`, { draftId: draft.id });
    now += 11 * 60_000;
    return call('POST', `${P}/chats/${chat.id}/messages`, { key: admin(), body: { text: 'still there?' } });
  },
  CHAT_DRAFT_DEPLOYMENT_FAILED: async () => {
    const fn = await created(`${P}/functions`, { name: 'greet', code: 'const x = 1;' });
    const draft = await created(`${P}/drafts`, { functions: [fn.id] });
    return call('POST', `${P}/chats`, { key: admin(), body: { draftId: draft.id } });
  },
  ChatConversationEnded: async () => {
    const draft = await created(`${P}/drafts`, {});
    const chat = await created(`${P}/chats`, { draftId: draft.id });
    await call('POST', `${P}/chats/${chat.id}/messages`, { key: admin(), body: { text: 'goodbye' } });
    return call('POST', `${P}/chats/${chat.id}/messages`, { key: admin(), body: { text: 'hello?' } });
  },
  DEPLOYMENT_NOT_FOUND: () => call('GET', `${P}/deployments/dep_nope`, { key: admin() }),
  DEPLOYMENTS_ALREADY_PUBLISHED: async () => {
    const draft = await created(`${P}/drafts`, {});
    await created(`${P}/deployments?environment=sandbox`, { draftId: draft.id, version: '1.0.0' });
    return call('POST', `${P}/deployments?environment=sandbox`, {
      key: admin(),
      body: { draftId: draft.id, version: '1.1.0' },
    });
  },
  DEPLOYMENTS_ENVIRONMENT_ALREADY_PUBLISHED: async () => {
    const draft = await created(`${P}/drafts`, {});
    await created(`${P}/deployments?environment=sandbox`, { draftId: draft.id, version: '2.0.0' });
    return call('POST', `${P}/deployments?environment=sandbox`, {
      key: admin(),
      body: { draftId: draft.id, version: '2.0.0' },
    });
  },
  DEPLOYMENTS_VALIDATION_FAILED: () =>
    call('POST', `${P}/deployments?environment=sandbox`, {
      key: admin(),
      body: { draftId: 'd', version: 'latest' },
    }),
  DEPLOYMENTS_INVALID_ENVIRONMENT: () =>
    call('POST', `${P}/deployments?environment=production`, {
      key: admin(),
      body: { draftId: 'd', version: '1.0.0' },
    }),
  ErrPreReleaseNotReady: async () => {
    const draft = await created(`${P}/drafts`, {});
    return call('POST', `${P}/deployments?environment=live`, {
      key: admin(),
      body: { draftId: draft.id, version: '1.0.0' },
    });
  },
  FLOW_NOT_FOUND: () => call('GET', `${P}/flows/flow_nope`, { key: admin() }),
  FLOWS_NAME_ALREADY_EXISTS: async () => {
    await created(`${P}/flows`, { name: 'booking' });
    return call('POST', `${P}/flows`, { key: admin(), body: { name: 'booking' } });
  },
  FLOWS_FUNCTION_NAME_ALREADY_EXISTS: async () => {
    const flow = await created(`${P}/flows`, { name: 'billing' });
    await created(`${P}/flows/${flow.id}/functions`, { name: 'lookup' });
    return call('POST', `${P}/flows/${flow.id}/functions`, { key: admin(), body: { name: 'lookup' } });
  },
  FLOWS_RESERVED_PARAMETER_NAME: () =>
    call('POST', `${P}/flows`, { key: admin(), body: { name: 'x', parameters: ['state'] } }),
  FLOWS_RESERVED_FUNCTION_NAME: async () => {
    const flow = await created(`${P}/flows`, { name: 'refunds' });
    return call('POST', `${P}/flows/${flow.id}/functions`, { key: admin(), body: { name: 'hangup' } });
  },
  FUNCTION_NOT_FOUND: () => call('GET', `${P}/functions/fn_nope`, { key: admin() }),
  FUNCTIONS_DEPLOYMENT_HAS_ERRORS: async () => {
    const fn = await created(`${P}/functions`, {
      name: 'env',
      code: 'function main() { return process.env; }',
    });
    return call('POST', `${P}/functions/${fn.id}/check`, { key: admin() });
  },
  FUNCTION_EXECUTION_FAILED: async () => {
    const fn = await created(`${P}/functions`, {
      name: 'div',
      code: 'function main(input) { return input.a.b; }',
    });
    return call('POST', `${P}/functions/${fn.id}/run`, { key: admin(), body: { input: {} } });
  },
  FUNCTION_FAILED_TO_PARSE: () =>
    call('POST', `${P}/functions`, { key: admin(), body: { name: 'bad', code: 'function main( {' } }),
  FUNCTION_NAME_ALREADY_EXISTS: async () => {
    await created(`${P}/functions`, { name: 'twice', code: 'function main() { return 1; }' });
    return call('POST', `${P}/functions`, {
      key: admin(),
      body: { name: 'twice', code: 'function main() {}' },
    });
  },
  FUNCTIONS_RESERVED_NAME: () =>
    call('POST', `${P}/functions`, { key: admin(), body: { name: 'main', code: '' } }),
  KNOWLEDGE_BASE_TOPIC_ALREADY_EXISTS: async () => {
    await created(`${P}/knowledge-base/topics`, { name: 'hours', content: 'Open <b>9–5</b>' });
    return call('POST', `${P}/knowledge-base/topics`, {
      key: admin(),
      body: { name: 'hours', content: 'x' },
    });
  },
  KNOWLEDGE_BASE_IMPORT_NO_CSV_FOUND: () =>
    call('POST', `${P}/knowledge-base/import`, { key: admin(), raw: '', type: 'text/csv' }),
  KNOWLEDGE_BASE_IMPORT_INVALID_TYPE: () =>
    call('POST', `${P}/knowledge-base/import`, { key: admin(), raw: '%PDF-1.7', type: 'application/pdf' }),
  KNOWLEDGE_BASE_IMPORT_MISSING_COLUMNS: () =>
    call('POST', `${P}/knowledge-base/import`, {
      key: admin(),
      raw: 'topic,answer\nhours,9-5\n',
      type: 'text/csv',
    }),
  KNOWLEDGE_BASE_TOPICS_INVALID: () =>
    call('POST', `${P}/knowledge-base/topics`, { key: admin(), body: { name: '' } }),
  KNOWLEDGE_BASE_RICH_TEXT_INVALID: () =>
    call('POST', `${P}/knowledge-base/topics`, {
      key: admin(),
      body: { name: 'refund', content: 'See {{topic:missing}}' },
    }),
  PHONE_NUMBERS_NOT_FOUND: () => call('GET', `${P}/phone-numbers/+15550100`, { key: admin() }),
  PHONE_NUMBERS_ALREADY_EXISTS: async () => {
    const connector = await created(`${P}/connectors`, { name: 'sip', url: upstreamUrl });
    await created(`${P}/phone-numbers`, { number: '+442071838750', connectorId: connector.id });
    return call('POST', `${P}/phone-numbers`, {
      key: admin(),
      body: { number: '+442071838750', connectorId: connector.id },
    });
  },
  PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT: () =>
    call('POST', `${P}/phone-numbers`, { key: admin(), body: { number: '020 7183 8750', connectorId: 'c' } }),
  PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST: () =>
    call('POST', `${P}/phone-numbers`, {
      key: admin(),
      body: { number: '+15550199', connectorId: 'con_nope' },
    }),
  CONNECTORS_NOT_FOUND: () => call('GET', `${P}/connectors/con_nope`, { key: admin() }),
  CONNECTORS_VALIDATION_FAILED: () =>
    call('POST', `${P}/connectors`, { key: admin(), body: { name: 'x', url: 'ftp://x' } }),
  VARIANTS_BAD_ATTRIBUTES_ERROR: () =>
    call('POST', `${P}/variants`, {
      key: admin(),
      body: { name: 'klingon', attributes: { language: 'tlh' } },
    }),
  VARIANTS_DUPLICATE_NAME_ERROR: async () => {
    await created(`${P}/variants`, { name: 'default', attributes: { language: 'en' } });
    return call('POST', `${P}/variants`, { key: admin(), body: { name: 'default' } });
  },
  VARIANTS_REMOVE_DEFAULT_ERROR: async () => {
    const first = [...seed.seed.platform.projects.get('bot').variants.rows.values()].find((v) => v.isDefault);
    const id = first?.id ?? (await created(`${P}/variants`, { name: 'base' })).id;
    return call('DELETE', `${P}/variants/${id}`, { key: admin() });
  },
  VariantsImportInvalidDelimiter: () =>
    call('POST', `${P}/variants/import`, { key: admin(), raw: 'name;language\nfr;fr\n', type: 'text/csv' }),
  VariantImportMissingColumnsHttp: () =>
    call('POST', `${P}/variants/import`, { key: admin(), raw: 'label,language\nfr,fr\n', type: 'text/csv' }),
  VariantImportDuplicateColumnsHttp: () =>
    call('POST', `${P}/variants/import`, {
      key: admin(),
      raw: 'name,language,name\nfr,fr,fr\n',
      type: 'text/csv',
    }),
  REAL_TIME_CONFIG_FORBIDDEN_ACCESS: () =>
    call('PUT', `${P}/real-time-config/schema`, { key: keys.editor!, body: { schema: { type: 'object' } } }),
  REAL_TIME_CONFIG_INVALID_FOR_SCHEMA: async () => {
    await call('PUT', `${P}/real-time-config/schema`, {
      key: admin(),
      body: {
        schema: { type: 'object', properties: { greeting: { type: 'string' } }, required: ['greeting'] },
      },
    });
    return call('PUT', `${P}/real-time-config/values?environment=sandbox`, {
      key: admin(),
      body: { values: { greeting: 7 } },
    });
  },
  REAL_TIME_CONFIG_INVALID_SCHEMA: () =>
    call('PUT', `${P}/real-time-config/schema`, { key: admin(), body: { schema: { type: 'strng' } } }),
  REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT: () =>
    call('PUT', `${P}/real-time-config/values?environment=prod`, { key: admin(), body: { values: {} } }),
  ACCOUNT_NOT_FOUND: () => call('GET', '/v1/accounts/nope', { key: admin() }),
  ACCOUNT_CREATE_INVALID_ID: () => call('POST', '/v1/accounts', { key: admin(), body: { id: 'acne' } }),
  ACCOUNT_CREATE_EXISTING_ID: () => call('POST', '/v1/accounts', { key: admin(), body: { id: 'acme' } }),
  PROJECT_NOT_FOUND: () => call('GET', '/v1/projects/nope', { key: admin() }),
  PROJECT_ID_ALREADY_EXISTS: () =>
    call('POST', '/v1/accounts/acme/projects', { key: admin(), body: { id: 'bot' } }),
  PROJECT_ID_INVALID: () =>
    call('POST', '/v1/accounts/acme/projects', { key: admin(), body: { id: '1 bot' } }),
  SMS_TEMPLATE_NOT_FOUND: () => call('GET', `${P}/sms-templates/sms_nope`, { key: admin() }),
  NoTestCasesHttp: () => call('POST', '/v1/projects/empty/test-runs', { key: admin(), body: {} }),
  MissingTestCasesHttp: async () => {
    await created(`${P}/test-cases`, { id: 'greets' });
    return call('POST', `${P}/test-runs`, { key: admin(), body: { testCaseIds: ['greets', 'refunds'] } });
  },
  // The standard status table: each status from the mechanism that raises it.
  'status 400': () => call('POST', `${P}/drafts`, { key: admin(), body: { functions: 'all' } }),
  'status 401': () => call('GET', P),
  'status 403': () => call('DELETE', `${P}/variants/var_x`, { key: keys.viewer! }),
  'status 404': () => call('GET', '/v1/nowhere', { key: admin() }),
  'status 405': () => call('DELETE', '/v1/health'),
  'status 408': () => slowBody(),
  'status 409': () => call('POST', '/v1/accounts', { key: admin(), body: { id: 'acme' } }),
  'status 410': async () => (await probes.ChatConversationEnded!)(),
  'status 412': async () => (await probes.ErrPreReleaseNotReady!)(),
  'status 415': () =>
    call('POST', '/v1/accounts', { key: admin(), raw: 'id=acme', type: 'application/x-www-form-urlencoded' }),
  'status 422': async () => (await probes.MissingTestCasesHttp!)(),
  'status 500': async () => {
    const { id } = await created(`${P}/conversations`, { channel: 'voice', recording: 'lost.wav' });
    return call('GET', `${P}/conversations/${id}/recording`, { key: admin() });
  },
  'status 501': () => call('PROPFIND', '/v1/health'),
  'status 502': async () => {
    const connector = await created(`${P}/connectors`, { name: 'down', url: `${upstreamUrl}/fail` });
    return call('POST', `${P}/connectors/${connector.id}/test`, { key: admin() });
  },
  'status 429': async () => {
    const limited = await start(0, { clock, log: () => {}, rate: 2 });
    try {
      const key = limited.seed.auth.addUser({ id: 'u', account: 'a', role: 'admin', realtime: false });
      let last: Observed | undefined;
      for (let i = 0; i < 3; i++)
        last = await observe(fetch(`${limited.url}/v1/health`, { headers: { 'x-api-key': key } }));
      return last!;
    } finally {
      await limited.close();
    }
  },
  'close 1000': async () => {
    const ws = await chatSocket();
    await new Promise((resolve) => ws.once('open', resolve));
    const closed = closeOf(ws);
    ws.send(JSON.stringify({ type: 'message', text: 'thanks, goodbye' }));
    return closed;
  },
  'close 1006': async () => {
    // A client that stops answering pings (a dead network path) is cut off; no close frame reaches it.
    const ws = await chatSocket({ autoPong: false });
    await new Promise((resolve) => ws.once('open', resolve));
    return closeOf(ws);
  },
  'status 503': async () => {
    const other = await start(0, { clock, log: () => {} });
    other.seed.drain();
    try {
      return await observe(fetch(`${other.url}/v1/health`));
    } finally {
      await other.close();
    }
  },
};

/** Announces a body and sends half of it, then stalls: the read timeout answers 408. */
function slowBody(): Promise<Observed> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(seed.port, '127.0.0.1');
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      raw += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      resolve({ kind: 'http', status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.write(
      `POST /v1/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${admin()}\r\ncontent-type: application/json\r\ncontent-length: 40\r\nconnection: close\r\n\r\n{"id":`,
    );
    setTimeout(() => socket.destroy(), 5000).unref();
  });
}

/** Opens the chat of a fresh draft over WebSocket. */
async function chatSocket(options: { autoPong?: boolean } = {}) {
  const draft = await created(`${P}/drafts`, {});
  const chat = await created(`${P}/chats`, { draftId: draft.id });
  const url = `${seed.url.replace('http', 'ws')}/v1/chat?project=bot&chat=${chat.id}`;
  return new WebSocket(url, { headers: { 'x-api-key': admin() }, autoPong: options.autoPong ?? true });
}

function closeOf(ws: WebSocket): Promise<Observed> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no close within 5 s')), 5000);
    ws.once('close', (code) => {
      clearTimeout(timer);
      resolve({ kind: 'ws-close', code });
    });
    ws.on('error', () => {});
  });
}

/** Rows no request can produce, with the reason. */
const unreachable: Record<string, string> = {
  'close 408':
    'a close frame cannot carry 408 (RFC 6455 §7.4.2 leaves 0–999 unused; ws refuses to send it): the pong timeout itself is produced — the server cuts the socket and the client observes 1006, the row above',
};

beforeAll(async () => {
  upstream = createServer((req, res) => {
    res.writeHead(req.url === '/fail' ? 503 : 200).end();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  seed = await start(0, { clock, log: (line) => log.push(line), readTimeout: 300, heartbeat: 200 });
  const { platform, auth } = seed.seed;
  platform.createAccount('acme');
  platform.createProject('acme', 'bot');
  platform.createProject('acme', 'empty');
  keys.admin = auth.addUser({ id: 'admin', account: 'acme', role: 'admin', realtime: true });
  keys.editor = auth.addUser({ id: 'editor', account: 'acme', role: 'editor', realtime: false });
  keys.viewer = auth.addUser({ id: 'viewer', account: 'acme', role: 'viewer', realtime: false });
  keys.external = auth.addUser({ id: 'external', account: 'acme', role: 'external', realtime: false });
  keys.removed = auth.addUser({ id: 'removed', account: 'acme', role: 'editor', realtime: false });
  auth.removeUser('removed');
});

afterAll(async () => {
  await seed?.close();
  upstream?.close();
  if (seed) rmSync(seed.seed.recordings, { recursive: true, force: true });
});

describe('seed 000: the voice-agent platform API on node:http', () => {
  const rows = rowsOf('000');
  const reached = new Set<string>();

  for (const { key, row } of rows) {
    if (key in unreachable) continue;
    it(`answers ${key} (${row.group}) as the page documents`, async () => {
      const probe = probes[key];
      expect(probe, `no probe for ${key}`).toBeDefined();
      expectRow(contract, row, await probe!());
      reached.add(key);
    });
  }

  it('carries the inbound X-PolyAI-Correlation-Id into error_id and the response header', async () => {
    const res = await fetch(`${seed.url}/v1/projects/bot`, {
      headers: { 'x-polyai-correlation-id': 'req-7f3a' },
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.headers.get('x-polyai-correlation-id')).toBe('req-7f3a');
    expect(body).toEqual({
      success: false,
      error: 'Invalid credentials or expired session.',
      error_id: 'req-7f3a',
      error_code: 'AUTH_USER_UNAUTHORISED',
      error_message: 'Invalid credentials or expired session.',
      data: null,
    });
  });

  it('replaces an unsafe inbound correlation id instead of echoing it', async () => {
    const res = await fetch(`${seed.url}/v1/projects/bot`, {
      headers: { 'x-polyai-correlation-id': 'a b<script>' },
    });
    const body = (await res.json()) as { error_id: string };
    expect(body.error_id).not.toContain('script');
    expect(res.headers.get('x-polyai-correlation-id')).toBe(body.error_id);
  });

  it('keeps the secret of a 500 in the log, never on the wire', async () => {
    const { id } = await created(`${P}/conversations`, { channel: 'voice', recording: 'gone.wav' });
    const res = await call('GET', `${P}/conversations/${id}/recording`, { key: admin() });
    expect(res.kind === 'http' && res.body).not.toContain(seed.seed.recordings);
    expect(log.some((line) => line.status === 500 && line.thrown?.includes('gone.wav'))).toBe(true);
  });

  it('answers 503 with Retry-After once draining', async () => {
    const other = await start(0, { clock, log: () => {} });
    other.seed.drain();
    const res = await fetch(`${other.url}/v1/health`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { error_code: string }).error_code).toBe('SERVICE_UNAVAILABLE');
    await other.close();
  });

  it('answers an error inside the chat socket as an event in the page envelope and stays open', async () => {
    const ws = await chatSocket();
    await new Promise((resolve) => ws.once('open', resolve));
    const messages: unknown[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    ws.send('{"type": "message", "text": ');
    ws.send(JSON.stringify({ type: 'message', text: 'hello' }));
    await expect.poll(() => messages.length, { timeout: 3000 }).toBe(2);
    expect(messages[0]).toMatchObject({ success: false, error_code: expect.any(String), data: null });
    expect(messages[1]).toEqual({ type: 'reply', text: 'You said: hello' });
    ws.close();
  });

  it('refuses the chat handshake with the REST answer: 401 without a key', async () => {
    const res = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${seed.url.replace('http', 'ws')}/v1/chat?project=bot&chat=x`);
      ws.on('unexpected-response', (_req, response) => resolve(response.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(res).toBe(401);
  });

  it('reports reachable/total', () => {
    const text = summary('000', reached, unreachable);
    console.log(text);
    expect(reached.size + Object.keys(unreachable).length).toBe(rows.length);
  });
});
