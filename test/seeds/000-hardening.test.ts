/**
 * Seed 000 against an outside attacker: rich text checked in linear time, a cap on everything one key
 * can grow, and a bearer token that can neither outlive itself nor become an API key. The shipped
 * `server.ts` runs in its own process with small limits, reached over HTTP on 127.0.0.1.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tagsOf, topicRefsOf } from '../../examples/seeds/000/content.js';
import { referencePage } from '../fixtures/reference/index.js';
import { type SeedProcess, type SeedRequest, send000, startSeedProcess } from './000-server.js';
import { secret } from './harness.js';

const admin = `key_${secret()}`;
const P = '/v1/projects/support-bot';
let server: SeedProcess;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(method: string, path: string, init: SeedRequest = {}): Promise<Answer> {
  // A raw body here is a CSV import unless the test names its type.
  const res = await send000(
    server.url,
    method,
    path,
    init.raw === undefined ? init : { type: 'text/csv', ...init },
  );
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

const post = (path: string, body: unknown, key = admin) => call('POST', path, { key, body });

/**
 * Asserts the answer to a request past a limit: the page's 403 in its six-field body, naming the limit in
 * `detail`, and no `Retry-After`, since waiting never clears a limit.
 */
function expectLimit(answer: Answer, detail: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(403);
  expect(answer.body).toMatchObject({ success: false, error_code: 'FORBIDDEN', error: detail, data: null });
  expect(answer.body.error_message).toBe(detail);
  expect(answer.headers.has('retry-after')).toBe(false);
}

const wav = (bytes: number) => {
  const audio = Buffer.alloc(bytes);
  audio.write('RIFF', 0, 'latin1');
  audio.write('WAVE', 8, 'latin1');
  return audio;
};

beforeAll(async () => {
  server = await startSeedProcess({
    SEED_000_ADMIN_KEY: admin,
    SEED_000_RATE_PER_IP: '100000',
    SEED_000_RATE_PER_KEY: '100000',
    SEED_000_MAX_PER_PROJECT: '5',
    SEED_000_MAX_RECORDING_BYTES: '3000',
    SEED_000_MAX_PROJECTS: '4',
    SEED_000_MAX_USERS: '3',
    SEED_000_MAX_ACCOUNTS: '1',
  });
}, 40_000);

afterAll(async () => {
  await server?.stop();
});

describe('seed 000 rich text', () => {
  // The regexes the scanners replace: the reference for every accept/refuse decision.
  const tagRegex = (text: string) =>
    [...text.matchAll(/<(\/?)([a-z]+)[^>]*>/g)].map(([, closing, tag]) => ({
      closing: closing === '/',
      tag,
    }));
  const refRegex = (text: string) => [...text.matchAll(/\{\{topic:([^}]*)\}\}/g)].map(([, ref]) => ref);

  it('finds the same tags and topic references as the regexes it replaces, on legitimate and hostile text', () => {
    const samples = [
      '<b>bold</b> and <i>it</i> <a href="x">link</a>',
      '</a x="1"><B>upper</B><1><>< a><a',
      'See {{topic:refund}} and {{topic:}} and {{{topic:x}}} {{topic:a}b}} {{topic:x}',
      '<a<b>c> {{topic:{{topic:y}}',
      '<a\nhref=x\n>multi\nline</a>',
      '',
    ];
    let seed = 7;
    const pick = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    const alphabet = ['<', '>', '/', 'a', 'b', 'i', 'z', ' ', '{{topic:', '}', '}}', 'x', '{'];
    for (let n = 0; n < 500; n++) {
      let text = '';
      for (let c = 0; c < 40; c++) text += alphabet[pick() % alphabet.length];
      samples.push(text);
    }
    for (const text of samples) {
      expect([...tagsOf(text)], text).toEqual(tagRegex(text));
      expect([...topicRefsOf(text)], text).toEqual(refRegex(text));
    }
  });

  it('reads a 64,000-character body of "<a" or "{{topic:" without a tag or reference, as the regexes do', () => {
    // Bounded so that the quadratic regexes still finish here; the scanners answer the same.
    for (const text of ['<a'.repeat(4000), '{{topic:'.repeat(1000), `${'{{topic:'.repeat(1000)}}x`]) {
      expect([...tagsOf(text)]).toEqual(tagRegex(text));
      expect([...topicRefsOf(text)]).toEqual(refRegex(text));
    }
    expect([...tagsOf('<a'.repeat(32_000))]).toEqual([]);
    expect([...topicRefsOf('{{topic:'.repeat(8000))]).toEqual([]);
    // One `>` at the end makes only the last `<a` a tag (each earlier one's tail is its successors).
    expect([...tagsOf(`${'<a'.repeat(32_000)}>`)]).toEqual([{ closing: false, tag: 'a' }]);
  });

  it('answers the hostile 64,000-character topics over HTTP with the decisions of the regexes', async () => {
    const project = '/v1/projects/rich-text';
    expect((await post('/v1/accounts/demo/projects', { id: 'rich-text' })).status).toBe(201);
    const topic = (name: string, content: string) =>
      post(`${project}/knowledge-base/topics`, { name, content });
    expect((await topic('lt', '<a'.repeat(32_000))).status).toBe(201);
    expect((await topic('refs', '{{topic:'.repeat(8000))).status).toBe(201);
    // An unclosed `<a …>`, then a reference to a topic that exists, then one that does not.
    const open = await topic('open', `${'<a'.repeat(31_999)}>`);
    expect(open.body.error_code).toBe('KNOWLEDGE_BASE_RICH_TEXT_INVALID');
    expect((await topic('ok', '<b>see</b> {{topic:lt}}')).status).toBe(201);
    const missing = await topic('missing', `${'{{topic:'.repeat(7000)}}} {{topic:nope}}`);
    expect(missing.body.error_code).toBe('KNOWLEDGE_BASE_RICH_TEXT_INVALID');
  });
});

describe('seed 000 limits per project and account', () => {
  it('refuses a sixth topic and a CSV import that would pass the limit, storing none of its rows', async () => {
    for (let n = 0; n < 5; n++)
      expect((await post(`${P}/knowledge-base/topics`, { name: `t${n}`, content: 'x' })).status).toBe(201);
    const topicsFull = "The project's knowledge-base topics are at their limit of 5.";
    expectLimit(await post(`${P}/knowledge-base/topics`, { name: 't5', content: 'x' }), topicsFull);
    const importing = (csv: string) => call('POST', `${P}/knowledge-base/import`, { key: admin, raw: csv });
    expectLimit(await importing('topic,content\nt0,new\nt9,new\n'), topicsFull);
    // Replacing topics the project has takes no room.
    expect(await importing('topic,content\nt0,new\nt1,new\n')).toMatchObject({ status: 200 });
  });

  it('caps variants, imports them all or none, and finds duplicates by name after a removal', async () => {
    expect((await post('/v1/accounts/demo/projects', { id: 'variants' })).status).toBe(201);
    const project = '/v1/projects/variants';
    const importing = (csv: string) => call('POST', `${project}/variants/import`, { key: admin, raw: csv });
    expect(await importing('name,language\nv0,en\nv1,fr\nv2,de\n')).toMatchObject({ status: 200 });
    const duplicate = await importing('name\nv9\nv1\n');
    expect(duplicate.body.error_code).toBe('VARIANTS_DUPLICATE_NAME_ERROR');
    expectLimit(
      await importing('name\nv3\nv4\nv5\n'),
      "The project's variants would pass their limit of 5: the project has 3 and the request adds 3.",
    );
    const made = await post(`${project}/variants`, { name: 'v3' });
    expect(made.status).toBe(201);
    expect((await post(`${project}/variants`, { name: 'v4' })).status).toBe(201);
    expectLimit(
      await post(`${project}/variants`, { name: 'v5' }),
      "The project's variants are at their limit of 5.",
    );
    expect((await post(`${project}/variants`, { name: 'v3' })).body.error_code).toBe(
      'VARIANTS_DUPLICATE_NAME_ERROR',
    );
    expect((await call('DELETE', `${project}/variants/${made.body.id}`, { key: admin })).status).toBe(204);
    expect(await importing('name\nv3\n')).toMatchObject({ status: 200 });
    const listed = await call('GET', `${project}/variants`, { key: admin });
    expect((listed.body.variants as unknown[]).length).toBe(5);
  });

  it('caps conversations, functions, flows, a flow’s functions, connectors, SMS templates, drafts and test cases', async () => {
    const code = 'function main() { return 1; }';
    // Each collection's path, its name in the limit's message, and its n-th row.
    const collections: [string, string, (n: number) => unknown][] = [
      ['conversations', 'conversations', () => ({ channel: 'chat' })],
      ['functions', 'functions', (n) => ({ name: `fn${n}`, code })],
      ['flows', 'flows', (n) => ({ name: `flow${n}` })],
      ['connectors', 'connectors', (n) => ({ name: `c${n}`, url: `https://example.com/${n}` })],
      ['sms-templates', 'SMS templates', () => ({ body: 'hello' })],
      ['drafts', 'drafts', () => ({})],
      ['test-cases', 'test cases', (n) => ({ id: `case${n}`, say: 'hi', expect: 'hi' })],
    ];
    for (const [path, name, body] of collections) {
      for (let n = 0; n < 5; n++) expect((await post(`${P}/${path}`, body(n))).status, path).toBe(201);
      expectLimit(await post(`${P}/${path}`, body(5)), `The project's ${name} are at their limit of 5.`);
    }
    // A test case replaced by its id takes no room.
    expect((await post(`${P}/test-cases`, { id: 'case0', say: 'hi', expect: 'x' })).status).toBe(201);
    const flow = await post(`${P}/flows`, { name: 'with-functions' });
    expectLimit(flow, "The project's flows are at their limit of 5.");
    const flows = await post('/v1/accounts/demo/projects', { id: 'flows' });
    expect(flows.status).toBe(201);
    const made = await post('/v1/projects/flows/flows', { name: 'f' });
    for (let n = 0; n < 5; n++)
      expect(
        (await post(`/v1/projects/flows/flows/${made.body.id}/functions`, { name: `f${n}` })).status,
      ).toBe(201);
    expectLimit(
      await post(`/v1/projects/flows/flows/${made.body.id}/functions`, { name: 'f5' }),
      "The flow's functions are at their limit of 5.",
    );
  });

  it('keeps a project’s recordings within its byte budget, crediting back a replaced recording', async () => {
    const conversation = async () =>
      (await post('/v1/projects/flows/conversations', { channel: 'voice' })).body.id;
    const first = await conversation();
    const second = await conversation();
    const put = (id: unknown, bytes: number) =>
      call('PUT', `/v1/projects/flows/conversations/${id}/recording`, {
        key: admin,
        raw: wav(bytes),
        type: 'audio/wav',
      });
    expect((await put(first, 2000)).status).toBe(200);
    const budgetFull = "The project's recordings would pass their limit of 3000 bytes.";
    expectLimit(await put(second, 1500), budgetFull);
    expect((await put(first, 2500)).status).toBe(200);
    expect((await put(second, 500)).status).toBe(200);
    expectLimit(await put(second, 600), budgetFull);
  });

  it('caps an account’s projects and users; removing a user makes room', async () => {
    // support-bot, rich-text, variants and flows fill the four places.
    const projects = await post('/v1/accounts/demo/projects', { id: 'one-more' });
    expectLimit(projects, "The account's projects are at their limit of 4.");
    const users: string[] = [];
    for (let n = 0; n < 2; n++) {
      const user = await post('/v1/accounts/demo/users', { role: 'viewer' });
      expect(user.status).toBe(201);
      users.push(user.body.id as string);
    }
    expectLimit(
      await post('/v1/accounts/demo/users', { role: 'viewer' }),
      "The account's users are at their limit of 3.",
    );
    expect((await call('DELETE', `/v1/accounts/demo/users/${users[0]}`, { key: admin })).status).toBe(204);
    expect((await post('/v1/accounts/demo/users', { role: 'viewer' })).status).toBe(201);
    // Room for the tests below.
    expect((await call('DELETE', `/v1/accounts/demo/users/${users[1]}`, { key: admin })).status).toBe(204);
  });

  it('lets only the operator’s account create accounts, up to its limit', async () => {
    const made = await post('/v1/accounts', { id: 'tenantone' });
    expect(made.status).toBe(201);
    expectLimit(
      await post('/v1/accounts', { id: 'tenanttwo' }),
      "The account's created accounts are at their limit of 1.",
    );
    const child = await post('/v1/accounts', { id: 'tenantsub' }, (made.body.admin as { key: string }).key);
    expect(child.status).toBe(403);
    expect(child.body.error_code).toBe('ACCOUNT_INSUFFICIENT_PERMISSIONS');
  });

  it('answers a full collection with a status of the page’s table, never its 429, and names the limit', async () => {
    const page = referencePage('000');
    const table = page.rows.filter((row) => row.group === 'Standard HTTP status codes');
    const refused = await post('/v1/accounts/demo/projects', { id: 'past-the-limit' });
    const row = table.find((candidate) => candidate.status === refused.status);
    expect(row, `${refused.status} is not in the page's status table`).toMatchObject({ title: 'Forbidden' });
    expect(refused.status).not.toBe(429);
    // The page's six-field body, `error_id` the correlation id of the page's header.
    expect(Object.keys(refused.body).sort()).toEqual(Object.keys(page.example as object).sort());
    expect(refused.body.error_id).toBe(refused.headers.get('x-polyai-correlation-id'));
    expect(refused.body.error).toBe("The account's projects are at their limit of 4.");
    expect(refused.headers.has('retry-after')).toBe(false);
  });
});

describe('seed 000 bearer tokens', () => {
  it('never mints a token that outlives the token asking, nor an API key from a token', async () => {
    const account = await post('/v1/accounts/demo/users', { role: 'editor' });
    expect(account.status).toBe(201);
    const key = account.body.key as string;
    const short = await post('/v1/auth/tokens', { ttlSeconds: 60 }, key);
    const token = short.body.token as string;
    const longer = await call('POST', '/v1/auth/tokens', { token, body: { ttlSeconds: 86_400 } });
    expect(longer.status).toBe(201);
    expect(longer.body.expiresIn).toBeLessThanOrEqual(60);
    const rotate = await call('POST', '/v1/auth/keys', { token });
    expect(rotate.status).toBe(403);
    expect(rotate.body.error_code).toBe('USER_ACCESS_FORBIDDEN');
    expect((await call('GET', P, { key })).status).toBe(200);
    expect((await call('GET', P, { token })).status).toBe(200);
  });

  it('answers 403 to an admin’s token on every route that answers with a key', async () => {
    const { token } = (await post('/v1/auth/tokens', { ttlSeconds: 60 })).body as { token: string };
    const users = await call('POST', '/v1/accounts/demo/users', { token, body: { role: 'admin' } });
    expect(users.body.error_code).toBe('USER_ACCESS_FORBIDDEN');
    const accounts = await call('POST', '/v1/accounts', { token, body: { id: 'viatoken' } });
    expect(accounts.body.error_code).toBe('USER_ACCESS_FORBIDDEN');
    const self = await call('GET', '/v1/accounts/demo', { key: admin });
    expect(self.status).toBe(200);
  });

  it('a token minted by a token expires with it', async () => {
    const parent = (await post('/v1/auth/tokens', { ttlSeconds: 1 })).body.token as string;
    const child = await call('POST', '/v1/auth/tokens', { token: parent, body: { ttlSeconds: 3600 } });
    expect(child.body.expiresIn).toBeLessThanOrEqual(1);
    await sleep(1300);
    const after = await call('GET', P, { token: child.body.token as string });
    expect(after.status).toBe(401);
    expect(after.body.error_code).toBe('AUTH_USER_INVALID_TOKEN');
  });
});
