import { lookup } from 'node:dns/promises';
import { rmSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
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
    // The runner (an isolated service; here a stand-in that answers from the input) reports the failure.
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
    const first = [...seed.seed.platform.project('acme', 'bot').variants.rows.values()].find(
      (v) => v.isDefault,
    );
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
    // A recording lost from the store's folder (a disk fault, outside the process) is the server's fault.
    const id = await recordedConversation();
    await loseRecordings();
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

/** A tiny RIFF/WAVE file: a header and one silent sample. */
const wave = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([40, 0, 0, 0]),
  Buffer.from('WAVEfmt '),
  Buffer.alloc(28),
]);

/** A conversation with an uploaded recording; its id. */
async function recordedConversation(): Promise<string> {
  const { id } = await created(`${P}/conversations`, { channel: 'voice' });
  const res = await fetch(`${seed.url}${P}/conversations/${id}/recording`, {
    method: 'PUT',
    headers: { 'x-api-key': admin(), 'content-type': 'audio/wav' },
    body: wave,
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return id;
}

/** Removes every recording file from the store's folder. */
async function loseRecordings(): Promise<string[]> {
  const names = await readdir(seed.seed.recordings);
  for (const name of names) await rm(join(seed.seed.recordings, name));
  return names;
}

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

/**
 * Stands in for the isolated function runner: it evaluates nothing, and answers by the job's input as
 * a runner would for `main(input) { return input.a.b }` — the result, or the TypeError as a 422.
 */
function runnerStandIn(req: IncomingMessage, res: ServerResponse): void {
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    text += chunk;
  });
  req.on('end', () => {
    const job = JSON.parse(text) as { entryPoint: string; input: { a?: { b?: unknown } } | null };
    const answer =
      job.input?.a === undefined
        ? { status: 422, body: { error: "TypeError: Cannot read properties of undefined (reading 'b')" } }
        : { status: 200, body: { result: job.input.a.b ?? null } };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (url.pathname === '/redirect')
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
    else if (url.pathname === '/runner') runnerStandIn(req, res);
    else res.writeHead(url.pathname === '/fail' ? 503 : 200).end();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  seed = await start(0, {
    clock,
    log: (line: LogLine) => log.push(line),
    readTimeout: 300,
    heartbeat: 200,
    upstreams: [upstreamUrl],
    runner: { url: `${upstreamUrl}/runner`, timeoutMs: 2000 },
    // A resolver whose answer for one test name is loopback: the check must hold after resolution.
    resolve: async (hostname: string) =>
      hostname === 'internal.seed.test'
        ? [{ address: '127.0.0.1', family: 4 }]
        : lookup(hostname, { all: true }),
  });
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
    const id = await recordedConversation();
    const [file] = await loseRecordings();
    const res = await call('GET', `${P}/conversations/${id}/recording`, { key: admin() });
    expect(res).toMatchObject({ kind: 'http', status: 500 });
    expect(res.kind === 'http' && res.body).not.toContain(seed.seed.recordings);
    expect(log.some((line) => line.status === 500 && line.thrown?.includes(file!))).toBe(true);
  });

  it('serves back the recording uploaded for a conversation, by the conversation only', async () => {
    const id = await recordedConversation();
    const res = await fetch(`${seed.url}${P}/conversations/${id}/recording`, {
      headers: { 'x-api-key': admin() },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(wave);
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

describe('seed 000: safe to copy', () => {
  /** A server that records every request it gets: reaching it is the SSRF. */
  async function canary() {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain' }).end('internal secret');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    return { hits, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  /** Creates a connector to `url` and tests it; the answer of whichever step refused, or of the test. */
  async function connectorTest(url: string, base = seed.url, key = admin()): Promise<Observed> {
    const create = await observe(
      fetch(`${base}${P}/connectors`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'probe', url }),
      }),
    );
    if (create.kind !== 'http' || create.status !== 201) return create;
    const { id } = JSON.parse(create.body) as { id: string };
    return observe(
      fetch(`${base}${P}/connectors/${id}/test`, { method: 'POST', headers: { 'x-api-key': key } }),
    );
  }

  const codeOf = (observed: Observed) =>
    observed.kind === 'http' ? (JSON.parse(observed.body) as { error_code?: string }).error_code : undefined;

  it('tenant function code never runs in the server: the vm escape to `process` reaches nothing (a reference system runs no tenant code)', async () => {
    const escaping =
      "function main() { const p = this.constructor.constructor('return globalThis.process')(); p.env.SEED_000_ESCAPED = 'yes'; return p.pid; }";
    const fn = await created(`${P}/functions`, { name: 'escape', code: escaping });
    const run = await call('POST', `${P}/functions/${fn.id}/run`, { key: admin(), body: { input: {} } });
    expect(process.env.SEED_000_ESCAPED).toBeUndefined();
    expect(run.kind === 'http' && run.body).not.toContain(String(process.pid));
  });

  it('a `main` named only in a comment or a string is no entry point: deploy checks read the parse, not the text', async () => {
    const fn = await created(`${P}/functions`, {
      name: 'commented',
      code: '// function main() {}\nconst note = "function main() {}";',
    });
    const check = await call('POST', `${P}/functions/${fn.id}/check`, { key: admin() });
    expect(check).toMatchObject({ kind: 'http', status: 400 });
    expect(codeOf(check)).toBe('FUNCTIONS_DEPLOYMENT_HAS_ERRORS');
  });

  it('a recording is never read from a path given in a request: `../../../../etc/hosts` is not served', async () => {
    const conversation = await observe(
      fetch(`${seed.url}${P}/conversations`, {
        method: 'POST',
        headers: { 'x-api-key': admin(), 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'voice', recording: '../../../../etc/hosts' }),
      }),
    );
    const id =
      conversation.kind === 'http' && conversation.status === 201
        ? (JSON.parse(conversation.body) as { id: string }).id
        : 'conv_none';
    const res = await call('GET', `${P}/conversations/${id}/recording`, { key: admin() });
    expect(res).toMatchObject({ kind: 'http', status: 404 });
    expect(res.kind === 'http' && res.body).not.toContain('localhost');
  });

  for (const [name, url] of [
    ['127.0.0.1', (port: number) => `http://127.0.0.1:${port}/`],
    ['localhost', (port: number) => `http://localhost:${port}/`],
    ['[::1]', (port: number) => `http://[::1]:${port}/`],
    ['IPv4-mapped [::ffff:127.0.0.1]', (port: number) => `http://[::ffff:127.0.0.1]:${port}/`],
    ['127.0.0.1 written as one decimal number', (port: number) => `http://2130706433:${port}/`],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['the IPv6 metadata address', () => 'http://[fd00:ec2::254]/latest/meta-data/'],
    ['a private 10/8 address', () => 'http://10.0.0.1/'],
    ['a hostname that resolves to loopback', (port: number) => `http://internal.seed.test:${port}/`],
  ] as const) {
    it(`the connector test refuses ${name} with CONNECTORS_VALIDATION_FAILED and never connects (SSRF: loopback, private, link-local and metadata refused by default)`, async () => {
      const target = await canary();
      try {
        const verdict = await connectorTest(url(target.port));
        expect(verdict).toMatchObject({ kind: 'http', status: 400 });
        expect(codeOf(verdict)).toBe('CONNECTORS_VALIDATION_FAILED');
        expect(target.hits).toEqual([]);
      } finally {
        await target.close();
      }
    });
  }

  it('the connector test refuses a redirect from an allowed upstream to loopback, re-checking every hop (SSRF)', async () => {
    const target = await canary();
    try {
      const verdict = await connectorTest(`${upstreamUrl}/redirect?to=http://127.0.0.1:${target.port}/admin`);
      expect(verdict).toMatchObject({ kind: 'http', status: 400 });
      expect(codeOf(verdict)).toBe('CONNECTORS_VALIDATION_FAILED');
      expect(target.hits).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it('an admin cannot create a project in another account, and the 409 never reveals another account’s project (tenant isolation)', async () => {
    const { platform, auth } = seed.seed;
    platform.createAccount('globex');
    platform.createProject('globex', 'secret-plan');
    const other = auth.addUser({ id: 'globex-admin', account: 'globex', role: 'admin', realtime: false });
    const intrude = await call('POST', '/v1/accounts/globex/projects', {
      key: admin(),
      body: { id: 'intruder' },
    });
    expect(intrude).toMatchObject({ kind: 'http', status: 404 });
    expect(codeOf(intrude)).toBe('ACCOUNT_NOT_FOUND');
    // Project ids are the account's own: a name taken elsewhere is free here, so no 409 can tell.
    const mine = await call('POST', '/v1/accounts/acme/projects', {
      key: admin(),
      body: { id: 'secret-plan' },
    });
    expect(mine).toMatchObject({ kind: 'http', status: 201 });
    const theirs = await call('POST', '/v1/accounts/globex/projects', { key: other, body: { id: 'bot' } });
    expect(theirs).toMatchObject({ kind: 'http', status: 201 });
    const again = await call('POST', '/v1/accounts/globex/projects', { key: other, body: { id: 'bot' } });
    expect(codeOf(again)).toBe('PROJECT_ID_ALREADY_EXISTS');
    const read = await call('GET', '/v1/projects/intruder', { key: other });
    expect(codeOf(read)).toBe('PROJECT_NOT_FOUND');
  });

  for (const [name, headersOf] of [
    ['no key', () => ({})],
    ['a new fake key on every request', (i: number) => ({ 'x-api-key': `key_fake_${i}` })],
    [
      'a new fake key and X-Forwarded-For on every request',
      (i: number) => ({ 'x-api-key': `key_fake_${i}`, 'x-forwarded-for': `203.0.113.${i % 250}` }),
    ],
  ] as const) {
    it(`650 requests with ${name} meet 429 from the per-IP limit in front of authentication (express-rate-limit: proxies untrusted by default)`, async () => {
      const fresh = await start(0, { log: () => {} });
      try {
        let limited: Observed | undefined;
        for (let i = 0; i < 650 && !limited; i++) {
          const res = await observe(fetch(`${fresh.url}${P}`, { headers: headersOf(i) }));
          if (res.kind === 'http' && res.status === 429) limited = res;
        }
        expect(limited, 'no 429 within 650 requests').toBeDefined();
        expect(codeOf(limited!)).toBe(errors.builtin('rateLimited').code);
      } finally {
        await fresh.close();
      }
    });
  }
});
