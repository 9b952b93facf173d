/**
 * Seed 000 against requests that buy more work than they carry: a validator or a loop whose work is the
 * product of two input sizes, a parse repeated on every request, a costly step taken before a cheap
 * refusal. The seed runs in this process and is reached over HTTP; the work is counted, never timed: acorn
 * parses through a counting wrapper, and what a stored schema or an imported CSV holds is read through
 * counting proxies.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { maxProblems, valueProblems } from '../../examples/seeds/000/json-schema.js';
import { type LocalSeed, send000, startSeedInProcess } from './000-server.js';

const counts = vi.hoisted(() => ({ parses: 0, cellReads: 0 }));

vi.mock('acorn', async (importOriginal) => {
  const acorn = await importOriginal<typeof import('acorn')>();
  return {
    ...acorn,
    parse: (...args: Parameters<typeof acorn.parse>) => {
      counts.parses++;
      return acorn.parse(...args);
    },
  };
});

// The rows of an imported CSV, each behind a proxy that counts the cells read.
vi.mock('../../examples/seeds/000/csv.js', async (importOriginal) => {
  const csv = await importOriginal<typeof import('../../examples/seeds/000/csv.js')>();
  const counted = (row: string[]) =>
    new Proxy(row, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) counts.cellReads++;
        return Reflect.get(target, key, receiver);
      },
    });
  return {
    ...csv,
    csvTable: (...args: Parameters<typeof csv.csvTable>) => {
      const table = csv.csvTable(...args);
      return 'rows' in table ? { ...table, rows: table.rows.map(counted) } : table;
    },
  };
});

/** The most rows of each collection of a project in this file's seed. */
const perProject = 3;
let local: LocalSeed;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(method: string, path: string, body?: unknown, key = local.key): Promise<Answer> {
  const res = await send000(local.url, method, path, body === undefined ? { key } : { key, body });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Makes project `id` of the demo account and returns its path. */
async function newProject(id: string): Promise<string> {
  expect((await call('POST', '/v1/accounts/demo/projects', { id })).status).toBe(201);
  return `/v1/projects/${id}`;
}

async function created(path: string, body: unknown): Promise<Record<string, unknown>> {
  const answer = await call('POST', path, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body;
}

const expectCode = (answer: Answer, status: number, code: string) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.error_code).toBe(code);
};

/** `target` behind a proxy counting every read of its keys (elements, properties) in `reads.count`. */
function counting<T extends object>(target: T, reads: { count: number }): T {
  const count = (key: string | symbol) => {
    if (typeof key === 'string' && key !== 'length') reads.count++;
  };
  return new Proxy(target, {
    get(t, key, receiver) {
      count(key);
      return Reflect.get(t, key, receiver);
    },
    getOwnPropertyDescriptor(t, key) {
      count(key);
      return Reflect.getOwnPropertyDescriptor(t, key);
    },
    has(t, key) {
      count(key);
      return Reflect.has(t, key);
    },
    ownKeys(t) {
      reads.count++;
      return Reflect.ownKeys(t);
    },
  });
}

/** The stored real-time schema of `project`, as the domain keeps it. */
const storedSchema = (project: string) =>
  local.seed.platform.project('demo', project).realtime.schema as { items: Record<string, object> };

beforeAll(async () => {
  local = await startSeedInProcess({ limits: { perProject } });
});

afterAll(async () => {
  await local?.close();
});

describe('seed 000 real-time configuration', () => {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('checks values against a large enum through a set built once, not a scan of the enum per value', async () => {
    const P = await newProject('rt-enum');
    const size = 1000;
    await call('PUT', `${P}/real-time-config/schema`, {
      schema: { type: 'array', items: { enum: range(size) } },
    });
    const reads = { count: 0 };
    const items = storedSchema('rt-enum').items;
    items.enum = counting(items.enum as number[], reads);
    const refused = await call('PUT', `${P}/real-time-config/values?environment=sandbox`, {
      values: range(size).map(() => -1),
    });
    expectCode(refused, 400, 'REAL_TIME_CONFIG_INVALID_FOR_SCHEMA');
    const accepted = await call('PUT', `${P}/real-time-config/values?environment=sandbox`, {
      values: range(size),
    });
    expect(accepted.status).toBe(200);
    // One pass to build the set; neither the values nor the field errors read the enum again.
    expect(reads.count).toBeLessThanOrEqual(size + 10);
  });

  it('finds the properties of an object from its own keys, not by walking the schema’s for each value', async () => {
    const P = await newProject('rt-props');
    const size = 1000;
    const properties = Object.fromEntries(range(size).map((i) => [`p${i}`, { type: 'number' }]));
    await call('PUT', `${P}/real-time-config/schema`, { schema: { type: 'array', items: { properties } } });
    const reads = { count: 0 };
    const items = storedSchema('rt-props').items;
    items.properties = counting(items.properties as object, reads);
    const values = [...range(size).map(() => ({})), { p7: 1 }];
    expect((await call('PUT', `${P}/real-time-config/values?environment=sandbox`, { values })).status).toBe(
      200,
    );
    expect(reads.count).toBeLessThan(10);
  });

  it(`stops at ${maxProblems} field errors instead of listing every missing name of every value`, async () => {
    const P = await newProject('rt-required');
    const size = 500;
    const required = range(size).map((i) => `r${i}`);
    await call('PUT', `${P}/real-time-config/schema`, { schema: { type: 'array', items: { required } } });
    const reads = { count: 0 };
    const items = storedSchema('rt-required').items;
    items.required = counting(items.required as string[], reads);
    const refused = await call('PUT', `${P}/real-time-config/values?environment=sandbox`, {
      values: range(1000).map(() => ({})),
    });
    expectCode(refused, 400, 'REAL_TIME_CONFIG_INVALID_FOR_SCHEMA');
    expect(reads.count).toBeLessThan(2 * maxProblems + 10);
  });

  it('refuses a schema that requires a name twice, as JSON Schema does (REAL_TIME_CONFIG_INVALID_SCHEMA)', async () => {
    const P = await newProject('rt-twice');
    const answer = await call('PUT', `${P}/real-time-config/schema`, {
      schema: { type: 'object', required: ['a', 'a'] },
    });
    expectCode(answer, 400, 'REAL_TIME_CONFIG_INVALID_SCHEMA');
  });

  it('keeps its field errors few and short: the first ones, a note that more follow, no enum spelled out past five values', () => {
    const problems = valueProblems({ type: 'array', items: { enum: range(1000) } }, range(100).map(String));
    expect(problems).toHaveLength(maxProblems + 1);
    expect(problems.at(-1)!.detail).toMatch(/more problems follow/);
    for (const { detail } of problems) expect(detail.length).toBeLessThan(100);
    expect(valueProblems({ enum: ['a', 'b'] }, 'c')).toEqual([
      { pointer: '', detail: 'Must be one of "a", "b"' },
    ]);
  });

  it('takes the real-time flag as a grant for a writing role: a viewer holding it still gets REAL_TIME_CONFIG_FORBIDDEN_ACCESS', async () => {
    const P = await newProject('rt-roles');
    const keyOf = async (role: string) =>
      (await created('/v1/accounts/demo/users', { role, realtime: true })).key as string;
    const viewer = await keyOf('viewer');
    const schema = { schema: { type: 'object' } };
    expectCode(
      await call('PUT', `${P}/real-time-config/schema`, schema, viewer),
      403,
      'REAL_TIME_CONFIG_FORBIDDEN_ACCESS',
    );
    expectCode(
      await call('PUT', `${P}/real-time-config/values?environment=sandbox`, { values: {} }, viewer),
      403,
      'REAL_TIME_CONFIG_FORBIDDEN_ACCESS',
    );
    const editor = await keyOf('editor');
    expect((await call('PUT', `${P}/real-time-config/schema`, schema, editor)).status).toBe(200);
  });
});

describe('seed 000 drafts and functions', () => {
  it('keeps each function of a draft once, however often the request names it', async () => {
    const P = await newProject('draft-once');
    const fn = await created(`${P}/functions`, { name: 'greet', code: 'function main() { return 1; }' });
    const draft = await created(`${P}/drafts`, { functions: [fn.id, fn.id, fn.id] });
    expect(draft.functions).toEqual([fn.id]);
  });

  it('parses a function once, however many chats, checks, test runs and deployments name it', async () => {
    const P = await newProject('parse-once');
    const before = counts.parses;
    const fn = await created(`${P}/functions`, { name: 'greet', code: 'function main(a) { return a; }' });
    const draft = await created(`${P}/drafts`, { functions: [fn.id] });
    for (let i = 0; i < perProject; i++) await created(`${P}/chats`, { draftId: draft.id });
    expect((await call('POST', `${P}/functions/${fn.id}/check`)).status).toBe(200);
    await created(`${P}/test-cases`, { id: 'hello', say: 'hello', expect: 'hello' });
    expect((await call('POST', `${P}/test-runs`, { draftId: draft.id })).status).toBe(200);
    await created(`${P}/deployments?environment=sandbox`, { draftId: draft.id, version: '1.0.0' });
    expect(counts.parses - before).toBe(1);
  });

  it('refuses a chat in a full project with its limit before its draft is checked', async () => {
    const P = await newProject('chat-cap');
    const fn = await created(`${P}/functions`, { name: 'no-entry', code: 'const answer = 42;' });
    const broken = await created(`${P}/drafts`, { functions: [fn.id] });
    const empty = await created(`${P}/drafts`, {});
    for (let i = 0; i < perProject; i++) await created(`${P}/chats`, { draftId: empty.id });
    const refused = await call('POST', `${P}/chats`, { draftId: broken.id });
    expectCode(refused, 403, 'FORBIDDEN');
    expect(refused.body.error).toBe("The project's chats are at their limit of 3.");
  });

  it('refuses a function in a full project with its limit before parsing it', async () => {
    const P = await newProject('fn-cap');
    for (let i = 0; i < perProject; i++)
      await created(`${P}/functions`, { name: `f${i}`, code: 'function main() {}' });
    const before = counts.parses;
    const refused = await call('POST', `${P}/functions`, { name: 'bad', code: 'function main( {' });
    expectCode(refused, 403, 'FORBIDDEN');
    expect(refused.body.error).toBe("The project's functions are at their limit of 3.");
    expect(counts.parses).toBe(before);
  });
});

describe('seed 000 variant import', () => {
  it('reads each row’s own cells only, however wide the header', async () => {
    const P = await newProject('wide-import');
    const header = ['name', ...Array.from({ length: 3000 }, (_, i) => `c${i}`)].join(',');
    const rows = Array.from({ length: perProject }, (_, i) => `v${i}`);
    const before = counts.cellReads;
    const res = await send000(local.url, 'POST', `${P}/variants/import`, {
      key: local.key,
      raw: `${header}\n${rows.join('\n')}\n`,
      type: 'text/csv',
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { imported: number }).imported).toBe(perProject);
    expect(counts.cellReads - before).toBeLessThanOrEqual(4 * perProject);
  });
});
