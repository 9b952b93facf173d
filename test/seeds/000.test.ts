import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { errors, format } from '../../examples/reference/000.js';
import { start } from '../../examples/seeds/000/app.js';
import { type SeedProcess, type SeedRequest, send000, startSeedProcess } from './000-server.js';
import { expectRow, type Observed, observe, type Probe, rowsOf, summary } from './harness.js';

/**
 * The conformance run starts the shipped `server.ts` in its own process, configured by environment
 * only, and reaches every row over HTTP and WebSocket: the demo admin's key is the one it is given, every
 * other user, project and account is made through the API.
 */
const chatTimeout = 3000;
const recordingsDir = mkdtempSync(join(tmpdir(), 'seed-000-test-'));
const newKey = () => `key_${randomBytes(24).toString('base64url')}`;
let server: SeedProcess;
let limited: SeedProcess;
const limitedKey = newKey();
let upstream: Server;
let upstreamUrl: string;
const keys: Record<string, string> = { admin: newKey() };

const contract = { catalog: errors, format, correlationHeader: 'x-polyai-correlation-id' };

interface CallInit extends SeedRequest {
  /** The server's base URL. @default the conformance server */
  base?: string;
}

function call(method: string, path: string, init: CallInit = {}): Promise<Observed> {
  return observe(send000(init.base ?? server.url, method, path, init));
}

/** A 201 answer's body; fails the test on any other answer. */
async function created(
  path: string,
  body: unknown,
  key = keys.admin!,
  base = server.url,
): Promise<{ id: string }> {
  const res = await call('POST', path, { key, body, base });
  expect(res.kind === 'http' && res.status, `${path}: ${res.kind === 'http' ? res.body : ''}`).toBe(201);
  return JSON.parse(res.kind === 'http' ? res.body : '{}') as { id: string };
}

const json = <T>(observed: Observed): T => JSON.parse(observed.kind === 'http' ? observed.body : 'null') as T;
const codeOf = (observed: Observed) =>
  observed.kind === 'http' ? (JSON.parse(observed.body) as { error_code?: string }).error_code : undefined;

const P = '/v1/projects/bot';
const admin = () => keys.admin!;

const probes: Record<string, Probe> = {
  SCHEMA_VALIDATION_FAILED: () => call('POST', '/v1/accounts', { key: admin(), body: { id: 42 } }),
  AUTH_USER_NOT_FOUND: () => call('GET', P, { key: keys.removed! }),
  AUTH_USER_UNAUTHORISED: () => call('GET', P, { key: 'key_unknown' }),
  AUTH_USER_INVALID_TOKEN: async () => {
    const { token } = (await created('/v1/auth/tokens', { ttlSeconds: 60 })) as unknown as { token: string };
    await call('DELETE', '/v1/auth/tokens/current', { token });
    return call('GET', P, { token });
  },
  USER_ACCESS_FORBIDDEN: () => call('POST', `${P}/flows`, { key: keys.viewer!, body: { name: 'x' } }),
  EXTERNAL_USER_FORBIDDEN: () =>
    call('POST', `${P}/deployments?environment=live`, {
      key: keys.external!,
      body: { draftId: 'd', version: '1.0.0' },
    }),
  ACCOUNT_INSUFFICIENT_PERMISSIONS: () =>
    call('POST', '/v1/accounts/demo/projects', { key: keys.editor!, body: { id: 'other' } }),
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
    await sleep(chatTimeout + 300);
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
    const listed = await call('GET', `${P}/variants`, { key: admin() });
    const { variants } = JSON.parse(listed.kind === 'http' ? listed.body : '{}') as {
      variants: { id: string; isDefault: boolean }[];
    };
    const id = variants.find((v) => v.isDefault)?.id ?? (await created(`${P}/variants`, { name: 'base' })).id;
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
    call('POST', '/v1/accounts/demo/projects', { key: admin(), body: { id: 'bot' } }),
  PROJECT_ID_INVALID: () =>
    call('POST', '/v1/accounts/demo/projects', { key: admin(), body: { id: '1 bot' } }),
  SMS_TEMPLATE_NOT_FOUND: () => call('GET', `${P}/sms-templates/sms_nope`, { key: admin() }),
  NoTestCasesHttp: () => call('POST', '/v1/projects/empty/test-runs', { key: admin(), body: {} }),
  MissingTestCasesHttp: async () => {
    await created(`${P}/test-cases`, { id: 'greets', say: 'hello', expect: 'hello' });
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
    // The second server allows 2 requests a minute per key.
    let last: Observed | undefined;
    for (let i = 0; i < 3; i++)
      last = await observe(fetch(`${limited.url}/v1/health`, { headers: { 'x-api-key': limitedKey } }));
    return last!;
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
  'status 503': () => draining(),
};

/** SIGTERM (once) to the second server, then requests until it answers 503 (its drain grace is long). */
let terminated = false;
async function draining(): Promise<Observed> {
  if (!terminated) limited.signal('SIGTERM');
  terminated = true;
  for (let i = 0; i < 50; i++) {
    const res = await observe(fetch(`${limited.url}/v1/health`));
    if (res.kind === 'http' && res.status === 503) return res;
    await sleep(100);
  }
  throw new Error('the server did not start draining within 50 tries');
}

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
  const res = await call('PUT', `${P}/conversations/${id}/recording`, {
    key: admin(),
    raw: wave,
    type: 'audio/wav',
  });
  expect(res).toMatchObject({ kind: 'http', status: 200 });
  return id;
}

/** Removes every recording file from the store's folder: a disk fault, outside the server process. */
async function loseRecordings(): Promise<string[]> {
  const names = await readdir(recordingsDir);
  for (const name of names) await rm(join(recordingsDir, name));
  return names;
}

/** Announces a body and sends half of it, then stalls: the read timeout answers 408. */
function slowBody(): Promise<Observed> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(server.port, '127.0.0.1');
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
  const url = `${server.url.replace('http', 'ws')}/v1/chat?project=bot&chat=${chat.id}`;
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

/** Adds a user of the demo account with `role` through the API; its key. */
async function addUser(role: string, realtime = false): Promise<{ id: string; key: string }> {
  return (await created('/v1/accounts/demo/users', { role, realtime })) as unknown as {
    id: string;
    key: string;
  };
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
  [server, limited] = await Promise.all([
    startSeedProcess({
      SEED_000_ADMIN_KEY: admin(),
      SEED_000_UPSTREAMS: upstreamUrl,
      SEED_000_FUNCTION_RUNNER_URL: `${upstreamUrl}/runner`,
      SEED_000_READ_TIMEOUT_MS: '300',
      SEED_000_HEARTBEAT_MS: '200',
      SEED_000_CHAT_TIMEOUT_MS: String(chatTimeout),
      SEED_000_RATE_PER_IP: '100000',
      SEED_000_RATE_PER_KEY: '100000',
      SEED_000_RECORDINGS_DIR: recordingsDir,
    }),
    startSeedProcess({
      SEED_000_ADMIN_KEY: limitedKey,
      SEED_000_RATE_PER_KEY: '2',
      SEED_000_DRAIN_GRACE_MS: '60000',
    }),
  ]);
  // Everything else through the API: projects, users of each role, a second account.
  await created('/v1/accounts/demo/projects', { id: 'bot' });
  await created('/v1/accounts/demo/projects', { id: 'empty' });
  keys.editor = (await addUser('editor')).key;
  keys.viewer = (await addUser('viewer')).key;
  keys.external = (await addUser('external')).key;
  const removed = await addUser('editor');
  keys.removed = removed.key;
  expect(await call('DELETE', `/v1/accounts/demo/users/${removed.id}`, { key: admin() })).toMatchObject({
    status: 204,
  });
  await created('/v1/accounts', { id: 'acme' });
}, 60_000);

afterAll(async () => {
  await Promise.all([server?.stop(), limited?.stop()]);
  upstream?.close();
  rmSync(recordingsDir, { recursive: true, force: true });
});

describe('seed 000: the voice-agent platform API, as server.ts ships it, over HTTP only', () => {
  const rows = rowsOf('000');
  const reached = new Set<string>();

  for (const { key, row } of rows) {
    if (key in unreachable) continue;
    it(`answers ${key} (${row.group}) as the page documents`, async () => {
      const probe = probes[key];
      expect(probe, `no probe for ${key}`).toBeDefined();
      await expectRow(contract, row, await probe!());
      reached.add(key);
    });
  }

  it('takes the Bearer scheme in any case, as HTTP authentication schemes are', async () => {
    const { token } = (await created('/v1/auth/tokens', { ttlSeconds: 60 })) as unknown as { token: string };
    for (const scheme of ['bearer', 'BEARER']) {
      const answered = await call('GET', P, { headers: { authorization: `${scheme} ${token}` } });
      expect(answered.kind === 'http' && answered.status).toBe(200);
    }
  });

  it("spends one token's budget whatever the spelling of its scheme: respelling opens no new one", async () => {
    const key = newKey();
    const own = await startSeedProcess({ SEED_000_ADMIN_KEY: key, SEED_000_RATE_PER_KEY: '3' });
    try {
      const issued = await fetch(`${own.url}/v1/auth/tokens`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ ttlSeconds: 60 }),
      });
      const { token } = (await issued.json()) as { token: string };
      const statuses: number[] = [];
      for (const scheme of ['Bearer ', 'bearer ', 'BEARER ', 'Bearer  ', 'bEaReR   ']) {
        const res = await fetch(`${own.url}/v1/health`, { headers: { authorization: `${scheme}${token}` } });
        statuses.push(res.status);
      }
      // The token shares its user's budget of three with the key that minted it, which spent one.
      expect(statuses).toEqual([200, 200, 429, 429, 429]);
    } finally {
      await own.stop();
    }
  });

  it('revokes a token at logout whatever its spelling, and takes no other spelling of it after', async () => {
    const { token } = (await created('/v1/auth/tokens', { ttlSeconds: 60 })) as unknown as { token: string };
    const as = (authorization: string) => call('GET', P, { headers: { authorization } });
    // A spelling with two spaces authenticates: the logout it sends revokes the token itself.
    const out = await call('DELETE', '/v1/auth/tokens/current', {
      headers: { authorization: `Bearer  ${token}` },
    });
    expect(out.kind === 'http' && out.status).toBe(204);
    for (const spelling of [`Bearer ${token}`, `Bearer  ${token}`, `Bearer ${token}.x`, `Bearer ${token}.`]) {
      const answered = await as(spelling);
      expect({ spelling, status: answered.kind === 'http' && answered.status }).toEqual({
        spelling,
        status: 401,
      });
    }
  });

  it("limits a chat socket's messages as its HTTP route is limited: a flood gets the page's 429 once, then silence", async () => {
    const ws = await chatSocket();
    await new Promise((resolve) => ws.once('open', resolve));
    const seen: Record<string, unknown>[] = [];
    const limited = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no rate-limit event within 5 s')), 5000);
      ws.on('message', (data) => {
        const event = JSON.parse(String(data)) as Record<string, unknown>;
        seen.push(event);
        if (event.error_code !== undefined) {
          clearTimeout(timer);
          resolve(event);
        }
      });
    });
    for (let i = 0; i < 40; i++) ws.send(JSON.stringify({ type: 'message', text: `hello ${i}` }));
    const event = await limited;
    expect(event).toMatchObject({ success: false, error_code: 'RATE_LIMITED', data: null });
    // The burst of 10 was answered before the first message over the rate; the socket stays open.
    const replies = seen.filter((m) => m.type === 'reply').length;
    expect(replies).toBeGreaterThanOrEqual(10);
    expect(replies).toBeLessThanOrEqual(12);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  it('carries the inbound X-PolyAI-Correlation-Id into error_id and the response header', async () => {
    const res = await fetch(`${server.url}/v1/projects/bot`, {
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
    const res = await fetch(`${server.url}/v1/projects/bot`, {
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
    expect(res.kind === 'http' && res.body).not.toContain(recordingsDir);
    await expect
      .poll(() => server.log.some((line) => line.status === 500 && line.thrown?.includes(file!)), {
        timeout: 3000,
      })
      .toBe(true);
  });

  it('answers 503 with Retry-After once draining', async () => {
    const res = await draining();
    expect(res.kind === 'http' && res.headers.get('retry-after')).toBe('5');
    expect(codeOf(res)).toBe('SERVICE_UNAVAILABLE');
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
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/chat?project=bot&chat=x`);
      ws.on('unexpected-response', (_req, response) => resolve(response.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(res).toBe(401);
  });

  it('prints no key it was given, and needs none from the repository', () => {
    expect(server.stdout()).toContain('(from SEED_000_ADMIN_KEY)');
    expect(server.stdout()).not.toContain(admin());
  });

  it('reports reachable/total', () => {
    const text = summary('000', reached, unreachable);
    console.log(text);
    expect(reached.size + Object.keys(unreachable).length).toBe(rows.length);
  });
});

describe('seed 000: the page’s behaviours, not only its rows', () => {
  it('filter and sort really filter and sort: channel:eq:sms lists only SMS conversations', async () => {
    await created('/v1/accounts/demo/projects', { id: 'listing' });
    const L = '/v1/projects/listing';
    for (const channel of ['voice', 'sms', 'chat', 'sms']) {
      await created(`${L}/conversations`, { channel });
      await sleep(5);
    }
    type Listed = { conversations: { id: string; channel: string; startedAt: number }[] };
    const sms = json<Listed>(await call('GET', `${L}/conversations?filter=channel:eq:sms`, { key: admin() }));
    expect(sms.conversations.map((c) => c.channel)).toEqual(['sms', 'sms']);
    const all = json<Listed>(await call('GET', `${L}/conversations?sort=-startedAt`, { key: admin() }));
    const times = all.conversations.map((c) => c.startedAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(times[0]).toBeGreaterThan(times[3]!);
    const byChannel = json<Listed>(await call('GET', `${L}/conversations?sort=channel`, { key: admin() }));
    expect(byChannel.conversations.map((c) => c.channel)).toEqual(['chat', 'sms', 'sms', 'voice']);
    const later = json<Listed>(
      await call('GET', `${L}/conversations?filter=startedAt:gt:${times[2]},channel:eq:sms`, {
        key: admin(),
      }),
    );
    expect(later.conversations).toHaveLength(1);
    const refused = await call('GET', `${L}/conversations?filter=channel:gt:sms`, { key: admin() });
    expect(codeOf(refused)).toBe('GET_CONVERSATIONS_FILTER_PARSE_ERROR');
  });

  it('a draft whose function has no main is refused by deployments with FUNCTIONS_DEPLOYMENT_HAS_ERRORS', async () => {
    const fn = await created(`${P}/functions`, { name: 'no-entry', code: 'const answer = 42;' });
    const draft = await created(`${P}/drafts`, { functions: [fn.id] });
    for (const environment of ['sandbox', 'pre-release']) {
      const res = await call('POST', `${P}/deployments?environment=${environment}`, {
        key: admin(),
        body: { draftId: draft.id, version: '1.0.0' },
      });
      expect(res).toMatchObject({ kind: 'http', status: 400 });
      expect(codeOf(res)).toBe('FUNCTIONS_DEPLOYMENT_HAS_ERRORS');
    }
  });

  it('variant import stores the variants of the CSV, and a CSV with one bad row stores none', async () => {
    await created('/v1/accounts/demo/projects', { id: 'variants' });
    const V = '/v1/projects/variants';
    const csv = 'name,language,tone\nfrench,fr,formal\n"german, casual",de,casual\nplain,,\n';
    const res = await call('POST', `${V}/variants/import`, { key: admin(), raw: csv, type: 'text/csv' });
    expect(res).toMatchObject({ kind: 'http', status: 200 });
    type Listed = { variants: { name: string; attributes: Record<string, string>; isDefault: boolean }[] };
    const listed = json<Listed>(await call('GET', `${V}/variants`, { key: admin() }));
    expect(
      listed.variants.map(({ name, attributes, isDefault }) => ({ name, attributes, isDefault })),
    ).toEqual([
      { name: 'french', attributes: { language: 'fr', tone: 'formal' }, isDefault: true },
      { name: 'german, casual', attributes: { language: 'de', tone: 'casual' }, isDefault: false },
      { name: 'plain', attributes: {}, isDefault: false },
    ]);
    const bad = 'name,language\nspanish,es\nklingon,tlh\n';
    const refused = await call('POST', `${V}/variants/import`, { key: admin(), raw: bad, type: 'text/csv' });
    expect(codeOf(refused)).toBe('VARIANTS_BAD_ATTRIBUTES_ERROR');
    expect(json<Listed>(await call('GET', `${V}/variants`, { key: admin() })).variants).toHaveLength(3);
  });

  it('test runs run each case against the draft and report what passed and failed', async () => {
    await created('/v1/accounts/demo/projects', { id: 'suite' });
    const S = '/v1/projects/suite';
    await created(`${S}/test-cases`, {
      id: 'echo',
      say: 'opening hours?',
      expect: 'You said: opening hours?',
    });
    await created(`${S}/test-cases`, { id: 'farewell', say: 'goodbye', expect: 'See you soon' });
    const draft = await created(`${S}/drafts`, {});
    const res = await call('POST', `${S}/test-runs`, { key: admin(), body: { draftId: draft.id } });
    expect(res).toMatchObject({ kind: 'http', status: 200 });
    expect(json(res)).toEqual({
      ran: 2,
      passed: 1,
      failed: 1,
      draftId: draft.id,
      results: [
        { id: 'echo', passed: true, reply: 'You said: opening hours?' },
        { id: 'farewell', passed: false, reply: 'Goodbye!' },
      ],
    });
  });

  it('a missing variant is the standard 404, and deploying an unknown draft fails validation, not the chat code', async () => {
    const variant = await call('DELETE', `${P}/variants/var_nope`, { key: admin() });
    expect(variant).toMatchObject({ kind: 'http', status: 404 });
    expect(codeOf(variant)).toBe(errors.builtin('notFound').code);
    const deploy = await call('POST', `${P}/deployments?environment=sandbox`, {
      key: admin(),
      body: { draftId: 'draft_nope', version: '1.0.0' },
    });
    expect(codeOf(deploy)).toBe('DEPLOYMENTS_VALIDATION_FAILED');
  });

  it('every response carries X-PolyAI-Correlation-Id, 2xx included ("Every API response includes" it)', async () => {
    const health = await fetch(`${server.url}/v1/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-polyai-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await fetch(`${server.url}/v1/health`, {
      headers: { 'x-polyai-correlation-id': 'trace-42' },
    });
    expect(echoed.headers.get('x-polyai-correlation-id')).toBe('trace-42');
    const made = await fetch(`${server.url}${P}/conversations`, {
      method: 'POST',
      headers: { 'x-api-key': admin(), 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'chat' }),
    });
    expect(made.status).toBe(201);
    expect(made.headers.get('x-polyai-correlation-id')).toBeTruthy();
  });

  it('a rotated key answers 403 ("403 after key rotation: old key revoked"), the new key works, old tokens are revoked', async () => {
    const user = await addUser('editor');
    const { token } = (await created('/v1/auth/tokens', { ttlSeconds: 600 }, user.key)) as unknown as {
      token: string;
    };
    const { key } = (await created('/v1/auth/keys', {}, user.key)) as unknown as { key: string };
    const old = await call('GET', P, { key: user.key });
    expect(old).toMatchObject({ kind: 'http', status: 403 });
    expect(codeOf(old)).toBe('USER_ACCESS_FORBIDDEN');
    expect(await call('GET', P, { key })).toMatchObject({ kind: 'http', status: 200 });
    expect(codeOf(await call('GET', P, { token }))).toBe('AUTH_USER_INVALID_TOKEN');
    // An admin rotates, then revokes, a user's key.
    const { key: third } = (await created(`/v1/accounts/demo/users/${user.id}/keys`, {})) as unknown as {
      key: string;
    };
    expect(codeOf(await call('GET', P, { key }))).toBe('USER_ACCESS_FORBIDDEN');
    expect(await call('DELETE', `/v1/accounts/demo/users/${user.id}/keys`, { key: admin() })).toMatchObject({
      status: 204,
    });
    expect(codeOf(await call('GET', P, { key: third }))).toBe('USER_ACCESS_FORBIDDEN');
    expect(codeOf(await call('GET', P, { key: 'key_never_issued' }))).toBe('AUTH_USER_UNAUTHORISED');
  });

  it('only an admin of the account manages its users; another account’s admin gets the absent account', async () => {
    const other = json<{ admin: { key: string } }>(
      await call('POST', '/v1/accounts', { key: admin(), body: { id: 'initech' } }),
    );
    const user = await addUser('viewer');
    const foreign = await call('DELETE', `/v1/accounts/demo/users/${user.id}`, { key: other.admin.key });
    expect(codeOf(foreign)).toBe('ACCOUNT_NOT_FOUND');
    const editor = await call('POST', '/v1/accounts/demo/users', {
      key: keys.editor!,
      body: { role: 'admin' },
    });
    expect(codeOf(editor)).toBe('ACCOUNT_INSUFFICIENT_PERMISSIONS');
    expect(await call('GET', P, { key: user.key })).toMatchObject({ kind: 'http', status: 200 });
  });
});

describe('seed 000: safe to copy', () => {
  /** An in-process seed for what needs a resolver of its own (a name that resolves to loopback). */
  let local: Awaited<ReturnType<typeof start>>;
  let localKey: string;
  beforeAll(async () => {
    local = await start(0, {
      log: () => {},
      upstreams: [upstreamUrl],
      // A resolver whose answer for one test name is loopback: the check must hold after resolution.
      resolve: async (hostname: string) =>
        hostname === 'internal.seed.test'
          ? [{ address: '127.0.0.1', family: 4 }]
          : lookup(hostname, { all: true }),
    });
    // The seed data server.ts makes at start: an account, its admin and a project.
    local.seed.platform.createAccount('demo');
    local.seed.platform.createProject('demo', 'bot');
    localKey = local.seed.auth.addUser({ account: 'demo', role: 'admin', realtime: true }).key;
  });
  afterAll(async () => {
    await local?.close();
    if (local) rmSync(local.seed.recordings, { recursive: true, force: true });
  });

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
  async function connectorTest(url: string, base = local.url, key = localKey): Promise<Observed> {
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

  it('tenant function code never runs in the server: the vm escape to `process` reaches nothing (a reference system runs no tenant code)', async () => {
    const marker = join(recordingsDir, '..', `seed-000-escaped-${randomBytes(6).toString('hex')}`);
    const escaping = `function main() { const p = this.constructor.constructor('return globalThis.process')(); p.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'escaped'); return p.pid; }`;
    const fn = await created(`${P}/functions`, { name: 'escape', code: escaping });
    for (const step of ['check', 'run'])
      await call('POST', `${P}/functions/${fn.id}/${step}`, {
        key: admin(),
        body: { input: { a: { b: 1 } } },
      });
    const draft = await created(`${P}/drafts`, { functions: [fn.id] });
    await call('POST', `${P}/chats`, { key: admin(), body: { draftId: draft.id } });
    await call('POST', `${P}/deployments?environment=sandbox`, {
      key: admin(),
      body: { draftId: draft.id, version: '9.9.9' },
    });
    expect(existsSync(marker), 'the function wrote its marker file from inside the server').toBe(false);
  });

  it('running a function with no runner configured is 501, never an evaluation here', async () => {
    const fn = await created(
      `${P}/functions`,
      { name: 'plain', code: 'function main() { return 1; }' },
      localKey,
      local.url,
    );
    const run = await call('POST', `${P}/functions/${fn.id}/run`, {
      key: localKey,
      body: {},
      base: local.url,
    });
    expect(run).toMatchObject({ kind: 'http', status: 501 });
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
      fetch(`${server.url}${P}/conversations`, {
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
    ['IPv4-translated [::ffff:0:7f00:1]', (port: number) => `http://[::ffff:0:7f00:1]:${port}/`],
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
    const globex = json<{ admin: { key: string } }>(
      await call('POST', '/v1/accounts', { key: admin(), body: { id: 'globex' } }),
    );
    const other = globex.admin.key;
    await created('/v1/accounts/globex/projects', { id: 'secret-plan' }, other);
    const intrude = await call('POST', '/v1/accounts/globex/projects', {
      key: admin(),
      body: { id: 'intruder' },
    });
    expect(intrude).toMatchObject({ kind: 'http', status: 404 });
    expect(codeOf(intrude)).toBe('ACCOUNT_NOT_FOUND');
    // Project ids are the account's own: a name taken elsewhere is free here, so no 409 can tell.
    const mine = await call('POST', '/v1/accounts/demo/projects', {
      key: admin(),
      body: { id: 'secret-plan' },
    });
    expect(mine).toMatchObject({ kind: 'http', status: 201 });
    const theirs = await call('POST', '/v1/accounts/globex/projects', { key: other, body: { id: 'bot' } });
    expect(theirs).toMatchObject({ kind: 'http', status: 201 });
    const again = await call('POST', '/v1/accounts/globex/projects', { key: other, body: { id: 'bot' } });
    expect(codeOf(again)).toBe('PROJECT_ID_ALREADY_EXISTS');
    expect(codeOf(await call('GET', '/v1/projects/intruder', { key: other }))).toBe('PROJECT_NOT_FOUND');
    expect(codeOf(await call('GET', '/v1/accounts/globex', { key: admin() }))).toBe('ACCOUNT_NOT_FOUND');
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
        let denied: Observed | undefined;
        for (let i = 0; i < 650 && !denied; i++) {
          const res = await observe(fetch(`${fresh.url}${P}`, { headers: headersOf(i) }));
          if (res.kind === 'http' && res.status === 429) denied = res;
        }
        expect(denied, 'no 429 within 650 requests').toBeDefined();
        expect(codeOf(denied!)).toBe(errors.builtin('rateLimited').code);
      } finally {
        await fresh.close();
        rmSync(fresh.seed.recordings, { recursive: true, force: true });
      }
    });
  }

  it('the chat handshake spends from the same per-address budget: made-up keys meet 429 at the upgrade', async () => {
    const fresh = await start(0, { log: () => {}, ipRate: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push(
          await new Promise<number>((resolve) => {
            const ws = new WebSocket(`${fresh.url.replace('http', 'ws')}/v1/chat?project=bot&chat=x`, {
              headers: { 'x-api-key': `key_fake_${i}` },
            });
            ws.on('unexpected-response', (_req, response) => resolve(response.statusCode ?? 0));
            ws.on('open', () => resolve(101));
            ws.on('error', () => resolve(0));
          }),
        );
      expect(statuses).toContain(429);
    } finally {
      await fresh.close();
      rmSync(fresh.seed.recordings, { recursive: true, force: true });
    }
  });
});
