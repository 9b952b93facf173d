/**
 * Seed 004, probed from its reference page and its README as production code: a number is one workspace's
 * at a time, the per-visitor widget cap is keyed on what the visitor cannot choose, the admin ticket routes
 * answer an unknown ticket with the page's ticket code, recordings go to a folder of the instance's own,
 * and passwords are hashed at a current cost with hashes that record their parameters.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../../examples/seeds/004/app.js';
import type { Mail } from '../../examples/seeds/004/mail.js';
import {
  freshAddress as fresh,
  newPassword as password,
  type SeedProcess,
  seedClient,
  seedWithMail,
  startDialRecorder,
  startSeed004,
} from './004-server.js';

const setup = seedWithMail();
const { request, answer, login } = seedClient(() => setup.seed.url);
const post = (path: string, token: string | undefined, body?: unknown) =>
  answer(request('POST', path, { ...(token ? { token } : {}), ...(body === undefined ? {} : { body }) }));
const owner = () => login('owner@example.com', setup.passwords.owner);
const admin = () => login('admin@example.com', setup.passwords.admin);

/** The workspace the server seeded ("Demo", number +14155550001), for its owner. */
async function seeded(token: string): Promise<string> {
  const listed = await answer(request('GET', '/workspaces', { token }));
  return (listed.body as { id: string; name: string }[]).find((w) => w.name === 'Demo')!.id;
}

/** A new verified user, made by the platform admin, and a workspace of its own: its session and path. */
async function tenant(name: string): Promise<{ token: string; at: string }> {
  const email = fresh(name);
  const secret = password();
  expect((await post('/admin/users', await admin(), { email, password: secret })).status).toBe(201);
  const token = await login(email, secret);
  const made = await post('/workspaces', token, { name });
  expect(made.status, made.text).toBe(201);
  return { token, at: `/workspaces/${made.body.id}` };
}

describe('seed 004: a number is one workspace’s at a time', () => {
  it('refuses a number another workspace holds, in any writing, with RESOURCE_CONFLICT; the other cannot call from it', async () => {
    const { token, at } = await tenant('claimant');
    for (const number of ['+14155550001', '+104155550001', '+141555500019']) {
      const claimed = await post(`${at}/numbers`, token, { number });
      expect([number, claimed.status, claimed.body]).toEqual([
        number,
        409,
        expect.objectContaining({ success: false, code: 'RESOURCE_CONFLICT' }),
      ]);
    }
    const dialled = await post(`${at}/calls`, token, {
      from: '+14155550001',
      to: '+14155550100',
      agent: 'agt_1',
    });
    expect(dialled.body).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    // A number no one holds is the workspace's, and then no one else's.
    expect((await post(`${at}/numbers`, token, { number: '+14155557001' })).status).toBe(201);
    const other = await tenant('second');
    expect((await post(`${other.at}/numbers`, other.token, { number: '+14155557001' })).status).toBe(409);
    const view = await answer(request('GET', at, { token }));
    expect(view.body.numbers).toEqual([{ number: '+14155557001', status: 'active' }]);
  });
});

/** `POST /widgets/:id/sessions` from `localAddress`, as a visitor's browser on `origin` sends it. */
function startFrom(
  localAddress: string,
  id: string,
  visitorId: string,
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${setup.seed.url}/widgets/${id}/sessions`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://shop.example.com' },
        localAddress,
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(JSON.stringify({ visitorId }));
  });
}

describe('seed 004: the per-visitor widget cap', () => {
  it('counts per client address: a new visitorId from the same visitor opens no new budget, another address has its own', async () => {
    const token = await owner();
    const made = await post(`/workspaces/${await seeded(token)}/widgets`, token, {
      origins: ['https://shop.example.com'],
      maxSessionsPerDay: 100,
      maxSessionsPerVisitorPerDay: 1,
    });
    expect(made.status, made.text).toBe(201);
    const id = made.body.id as string;
    const statuses: string[] = [];
    for (const visitor of ['v1', 'v1', 'v2', 'v3'])
      statuses.push(`${visitor}:${(await startFrom('127.0.0.1', id, visitor)).status}`);
    expect(statuses).toEqual(['v1:201', 'v1:429', 'v2:429', 'v3:429']);
    const refused = await startFrom('127.0.0.1', id, 'v4');
    expect(refused.body).toMatchObject({ success: false, code: 'WIDGET_VISITOR_LIMIT_REACHED' });
    expect((await startFrom('127.0.0.2', id, 'v1')).status).toBe(201);
  });
});

describe('seed 004: admin ticket routes', () => {
  it('answer an unknown ticket with SUPPORT_TICKET_NOT_FOUND, as the public lookup does; an unknown department stays SUPPORT_REFERENCE_NOT_FOUND', async () => {
    const token = await admin();
    const unknown = '/admin/support/tickets/T-00000000';
    const answers = [
      await answer(request('PATCH', unknown, { token, body: { status: 'resolved' } })),
      await post(`${unknown}/assign`, token, { department: 'billing' }),
      await post(`${unknown}/draft`, token),
      await post(`${unknown}/chat/claim`, token),
    ];
    const lookup = await answer(request('GET', '/support/tickets/T-00000000?token=x'));
    expect(lookup.status).toBe(404);
    for (const refused of answers)
      expect({ status: refused.status, body: refused.body }).toEqual({ status: 404, body: lookup.body });
    expect(lookup.body).toMatchObject({ code: 'SUPPORT_TICKET_NOT_FOUND' });
    const opened = await post('/support/tickets', undefined, { email: 'c@example.com', subject: 'Help' });
    const assigned = await post(`/admin/support/tickets/${opened.body.ref}/assign`, token, {
      department: 'no-such-department',
    });
    expect(assigned.status).toBe(404);
    expect(assigned.body).toMatchObject({ code: 'SUPPORT_REFERENCE_NOT_FOUND' });
  });
});

describe('seed 004: recordings without RECORDINGS_DIR', () => {
  let temp: string;
  let planted: string;
  let seed: SeedProcess | undefined;
  let provider: Server | undefined;
  const secret = password();

  beforeAll(async () => {
    // The fixed name the seed once used, made first by someone else and linked to a folder of theirs.
    temp = mkdtempSync(join(tmpdir(), 'seed-004-tmp-'));
    planted = join(temp, 'planted');
    mkdirSync(planted);
    symlinkSync(planted, join(temp, 'seed-004-recordings'));
    provider = await startDialRecorder([]);
    seed = await startSeed004({
      TMPDIR: temp,
      OWNER_PASSWORD: secret,
      PROVIDER_URL: `http://127.0.0.1:${(provider.address() as { port: number }).port}`,
      PROVIDER_CREDENTIAL: 'AC-test',
    });
  }, 60_000);
  afterAll(async () => {
    await seed?.stop();
    await new Promise((resolve) => provider?.close(resolve));
    rmSync(temp, { recursive: true, force: true });
  });

  it('keeps them in a new folder of the instance’s own (mode 0700), never in one a name given in advance leads to', async () => {
    const client = seedClient(() => seed!.url);
    const token = await client.login('owner@example.com', secret);
    const listed = await client.answer(client.request('GET', '/workspaces', { token }));
    const ws = (listed.body as { id: string }[])[0]!.id;
    const placed = await client.answer(
      client.request('POST', `/workspaces/${ws}/calls`, {
        token,
        body: { from: '+14155550001', to: '+14155550100', agent: 'agt_1' },
      }),
    );
    expect(placed.status, placed.text).toBe(201);
    const stored = await client.answer(
      client.request('PUT', `/workspaces/${ws}/calls/${placed.body.id}/recording`, { token, raw: 'RIFF' }),
    );
    expect(stored.status, stored.text).toBe(201);
    expect(readdirSync(planted)).toEqual([]);
    const own = readdirSync(temp).filter((name) => name.startsWith('seed-004-recordings-'));
    expect(own).toHaveLength(1);
    expect(statSync(join(temp, own[0]!)).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(temp, own[0]!, ws))).toEqual([`${placed.body.id}.wav`]);
  });
});

describe('seed 004: password hashes', () => {
  /** A seed in this process at `cost` (the default when undefined), its mail in `mails`. */
  async function seedAt(cost: number | undefined, mails: Mail[]) {
    return start(0, {
      log: () => {},
      mail: (mail) => mails.push(mail),
      ...(cost === undefined ? {} : { passwordHashCost: cost }),
    });
  }

  it('hashes a password with scrypt at N=2^17, r=8, p=1 by default, in a hash that records them', async () => {
    const mails: Mail[] = [];
    const running = await seedAt(undefined, mails);
    try {
      const client = seedClient(() => running.url);
      const email = fresh('hashed');
      const secret = password();
      expect((await client.signUp(email, secret)).status).toBe(202);
      expect((await client.loginAs(email, secret)).status).toBe(200);
      expect((await client.loginAs(email, `${secret}x`)).status).toBe(401);
      expect(running.seed.identity.byEmail(email)?.hash).toMatch(
        /^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]+\$/,
      );
    } finally {
      await running.close();
    }
  });

  it('signs in with a hash made at another cost after the setting changed, and makes it again at the new one', async () => {
    const mails: Mail[] = [];
    const before = await seedAt(10, mails);
    const after = await seedAt(11, mails);
    try {
      const email = fresh('moved');
      const secret = password();
      const old = seedClient(() => before.url);
      expect((await old.signUp(email, secret)).status).toBe(202);
      const user = before.seed.identity.byEmail(email)!;
      expect(user.hash).toMatch(/^\$scrypt\$ln=10,/);
      // The same account under the new setting, as a store that outlives a restart would hold it.
      after.seed.identity.users.set(user.id, { ...user });
      const now = seedClient(() => after.url);
      expect((await now.loginAs(email, `${secret}x`)).status).toBe(401);
      expect((await now.loginAs(email, secret)).status).toBe(200);
      expect(after.seed.identity.byEmail(email)?.hash).toMatch(/^\$scrypt\$ln=11,r=8,p=1\$/);
      expect((await now.loginAs(email, secret)).status).toBe(200);
    } finally {
      await before.close();
      await after.close();
    }
  });
});
