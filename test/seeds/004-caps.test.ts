/**
 * Seed 004's bounds on what callers add, on the shipped server with small caps set by environment: forum
 * writes need a verified address, a thread holds a bounded number of replies and is read a page at a time,
 * forum writes are limited per user per hour, anonymous tickets per client address per hour, and what a
 * user or a workspace holds is capped. Every cap answers the page's code over HTTP.
 */
import { describe, expect, it } from 'vitest';
import {
  freshAddress as fresh,
  newPassword as password,
  seedClient,
  seedWithMail,
  verificationToken,
} from './004-server.js';

const setup = seedWithMail({
  FORUM_REPLIES_MAX: '4',
  FORUM_WRITES_PER_HOUR: '6',
  TICKET_RATE: '3',
  WORKSPACES_MAX: '2',
  WORKSPACE_ITEMS_MAX: '2',
});
const { request, answer, login } = seedClient(() => setup.seed.url);
const post = (path: string, token: string | undefined, body: unknown) =>
  answer(request('POST', path, { ...(token ? { token } : {}), body }));
const quotaExceeded = { success: false, code: 'QUOTA_EXCEEDED' };

/** A new verified user, made by the platform admin: its session. */
async function verifiedUser(name: string): Promise<string> {
  const admin = await login('admin@example.com', setup.passwords.admin);
  const email = fresh(name);
  const secret = password();
  expect((await post('/admin/users', admin, { email, password: secret })).status).toBe(201);
  return login(email, secret);
}

async function thread(token: string, title = 'Roadmap'): Promise<string> {
  const made = await post('/forum/threads', token, { title });
  expect(made.status, made.text).toBe(201);
  return made.body.id as string;
}

describe('seed 004: forum writes', () => {
  it('refuses every forum write of an unverified account with EMAIL_VERIFICATION_REQUIRED, until it verifies', async () => {
    const email = fresh('unverified');
    const secret = password();
    expect((await post('/auth/signup', undefined, { email, password: secret })).status).toBe(202);
    const token = await login(email, secret);
    const id = await thread(await verifiedUser('host'));
    const writes = [
      await post('/forum/threads', token, { title: 'spam' }),
      await post(`/forum/threads/${id}/replies`, token, { text: 'spam' }),
      await post(`/forum/threads/${id}/reactions`, token, { emoji: '👍' }),
    ];
    for (const write of writes) {
      expect(write.status).toBe(403);
      expect(write.body).toMatchObject({ success: false, code: 'EMAIL_VERIFICATION_REQUIRED' });
    }
    const [mail] = await setup.relay.to(email, 'Verify');
    const verified = await post('/auth/verify-email', undefined, { token: verificationToken(mail!.text) });
    expect(verified.status, verified.text).toBe(200);
    expect((await post(`/forum/threads/${id}/replies`, token, { text: 'hello' })).status).toBe(201);
  });

  it('answers a reply with the new reply alone, and refuses replies past FORUM_REPLIES_MAX with QUOTA_EXCEEDED', async () => {
    const id = await thread(await verifiedUser('author'));
    const [first, second] = [await verifiedUser('first'), await verifiedUser('second')];
    const reply = await post(`/forum/threads/${id}/replies`, first, { text: 'one' });
    expect(reply.status).toBe(201);
    expect(Object.keys(reply.body).sort()).toEqual(['author', 'index', 'text', 'thread']);
    expect(reply.body).toMatchObject({ thread: id, index: 0, text: 'one' });
    for (const text of ['two', 'three', 'four'])
      expect((await post(`/forum/threads/${id}/replies`, second, { text })).status).toBe(201);
    const over = await post(`/forum/threads/${id}/replies`, first, { text: 'five' });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject(quotaExceeded);
    const read = await answer(request('GET', `/forum/threads/${id}?limit=100`));
    expect(read.body.replyCount).toBe(4);
  });

  it('reads a thread a page of replies at a time: offset and limit, nextOffset null after the last', async () => {
    const author = await verifiedUser('pager');
    const id = await thread(author);
    for (const text of ['a', 'b', 'c'])
      expect((await post(`/forum/threads/${id}/replies`, author, { text })).status).toBe(201);
    const first = await answer(request('GET', `/forum/threads/${id}?limit=2`));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id, replyCount: 3, offset: 0, nextOffset: 2 });
    expect(first.body.replies.map((r: { text: string }) => r.text)).toEqual(['a', 'b']);
    const next = await answer(request('GET', `/forum/threads/${id}?offset=${first.body.nextOffset}&limit=2`));
    expect(next.body).toMatchObject({ offset: 2, nextOffset: null });
    expect(next.body.replies.map((r: { text: string }) => r.text)).toEqual(['c']);
    const whole = await answer(request('GET', `/forum/threads/${id}`));
    expect(whole.body).toMatchObject({ replyCount: 3, nextOffset: null });
    // A count in decimal digits only: a number coercion read `0x2`, `1e1` and ` 1`, and an empty offset as 0.
    const loose = ['limit=0x2', 'limit=1e1', 'limit=%201', 'offset=', 'limit=', 'offset=1.0'];
    for (const query of ['limit=101', 'limit=0', 'offset=-1', 'offset=x', ...loose]) {
      const bad = await answer(request('GET', `/forum/threads/${id}?${query}`));
      expect(bad.status, query).toBe(400);
      expect(bad.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
    }
  });

  it('allows a user FORUM_WRITES_PER_HOUR threads and replies an hour, then RATE_LIMITED with Retry-After', async () => {
    const token = await verifiedUser('chatty');
    const ids = [await thread(token), await thread(token)];
    for (const id of ids)
      for (const text of ['x', 'y'])
        expect((await post(`/forum/threads/${id}/replies`, token, { text })).status).toBe(201);
    const over = await request('POST', `/forum/threads/${ids[0]}/replies`, { token, body: { text: 'z' } });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await over.json()).toMatchObject({ success: false, code: 'RATE_LIMITED' });
    expect((await post('/forum/threads', token, { title: 'more' })).status).toBe(429);
    // Another user's budget is their own.
    expect(
      (await post(`/forum/threads/${ids[0]}/replies`, await verifiedUser('other'), { text: 'z' })).status,
    ).toBe(201);
  });
});

describe('seed 004: anonymous support tickets', () => {
  it('opens TICKET_RATE tickets an hour per client address, then RATE_LIMITED, whatever X-Forwarded-For says', async () => {
    const open = (headers: Record<string, string> = {}) =>
      fetch(`${setup.seed.url}/support/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ email: 'customer@example.com', subject: 'Cannot dial out' }),
      });
    for (let i = 0; i < 3; i++) expect((await open()).status).toBe(201);
    const over = await open();
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await over.json()).toMatchObject({ success: false, code: 'RATE_LIMITED' });
    expect((await open({ 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
  });
});

describe('seed 004: what a user and a workspace hold', () => {
  it('lets a user own WORKSPACES_MAX workspaces, then answers QUOTA_EXCEEDED', async () => {
    const token = await verifiedUser('founder');
    for (const name of ['One', 'Two']) expect((await post('/workspaces', token, { name })).status).toBe(201);
    const over = await post('/workspaces', token, { name: 'Three' });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject(quotaExceeded);
  });

  it('holds WORKSPACE_ITEMS_MAX contacts, numbers, agents, Do-Not-Call entries and widgets each, then QUOTA_EXCEEDED', async () => {
    const token = await verifiedUser('builder');
    const made = await post('/workspaces', token, { name: 'Full' });
    const at = `/workspaces/${made.body.id}`;
    const widget = (n: number) => ({
      origins: [`https://shop${n}.example`],
      maxSessionsPerDay: 10,
      maxSessionsPerVisitorPerDay: 2,
    });
    const items: [string, (n: number) => unknown][] = [
      ['contacts', (n) => ({ name: `Contact ${n}` })],
      ['numbers', (n) => ({ number: `+1415555020${n}` })],
      ['agents', (n) => ({ name: `Agent ${n}` })],
      ['dnc', (n) => ({ number: `+1415555030${n}` })],
      ['widgets', widget],
    ];
    for (const [path, body] of items) {
      for (const n of [1, 2]) expect((await post(`${at}/${path}`, token, body(n))).status, path).toBe(201);
      const over = await post(`${at}/${path}`, token, body(3));
      expect(over.status, path).toBe(429);
      expect(over.body, path).toMatchObject(quotaExceeded);
    }
    // A number already on the Do-Not-Call list takes no room: adding it again still answers 201.
    expect((await post(`${at}/dnc`, token, { number: '+14155550301' })).status).toBe(201);
  });
});
