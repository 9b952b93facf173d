/**
 * Seed 004: the voice SaaS of reference page 004 on Hono. Workspaces gated by subscription, entitlement and
 * lifecycle; outbound calls behind a burst limit, a daily quota and `Idempotency-Key`; widgets, forum,
 * pages, support and licensing. Ticket lookups collapse their reasons: the wire answer is the same for an
 * unknown ref and a wrong token, the log line says which.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { sValidator } from '@hono/standard-validator';
import { createHonoErrors } from 'faultline/hono';
import { memoryStore } from 'faultline/stores';
import { type Context, Hono } from 'hono';
import type * as z from 'zod';
import { type GoogleSignInOptions, googleSignIn } from '../shared/google-id-token.js';
import { type Clock, type LogSink, listen, logErrors, type Running, systemClock } from '../shared/run.js';
import { errors, format } from './catalog.js';
import { Community } from './community.js';
import { Identity, type Session, type User } from './identity.js';
import { Licensing } from './licensing.js';
import { callGuards, ipLimit } from './limits.js';
import { httpProvider } from './provider.js';
import { schemas } from './schemas.js';
import { Support } from './support.js';
import { Widgets } from './widgets.js';
import { type Workspace, Workspaces } from './workspaces.js';

/** Options of seed 004. */
export interface SeedOptions {
  clock?: Clock;
  log?: LogSink;
  /** The telephony provider's API base URL. @default http://127.0.0.1:9 (nothing listens) */
  providerUrl?: string;
  /** The AI draft service for support replies. */
  draftService?: string;
  /** Where call recordings are written. @default a folder under the OS temp dir */
  storage?: string;
  /** Outbound calls per user of a workspace per second (burst). @default 5 */
  callBurst?: number;
  /** Outbound calls per workspace per day, by plan (quota). @default { trial: 50, active: 5000 } */
  callQuota?: { trial: number; active: number };
  /** Whether the license-signing keypair is provisioned. @default true */
  licenseKeys?: boolean;
  /** Google sign-in: the OAuth client id and the keys ID tokens are checked against. @default off */
  google?: GoogleSignInOptions;
  /** Requests per minute per client address, before authentication. @default 600 */
  ipRate?: number;
  /** How long an agent training run lasts. @default 2000 ms */
  trainingMs?: number;
}

type Env = { Variables: { session: Session; user: User; workspace: Workspace } };

export interface Seed {
  readonly server: Server;
  readonly app: Hono<Env>;
  readonly identity: Identity;
  readonly workspaces: Workspaces;
  readonly widgets: Widgets;
  readonly community: Community;
  readonly support: Support;
  readonly licensing: Licensing;
}

export function createSeed(options: SeedOptions = {}): Seed {
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const provider = httpProvider(options.providerUrl ?? 'http://127.0.0.1:9');
  const identity = new Identity(clock, googleSignIn(options.google));
  // Plivo is a provider workspaces may pick, but its adapter is not wired into this build.
  const workspaces = new Workspaces(
    new Map([
      ['twilio', provider],
      ['telnyx', provider],
    ]),
  );
  const widgets = new Widgets(clock);
  const community = new Community();
  const support = new Support(now, options.draftService);
  const licensing = new Licensing(
    now,
    options.licenseKeys === false ? undefined : generateKeyPairSync('ed25519'),
  );
  const storage = options.storage ?? join(tmpdir(), 'seed-004-recordings');
  const faults = createHonoErrors({ catalog: errors, format, onError: logErrors(options.log) });
  const v = <S extends z.ZodType>(schema: S) => sValidator('json', schema, faults.validationHook);
  const app = new Hono<Env>();
  faults.install(app);
  // This instance's own limit state: two seeds in one process (as in tests) never share counters.
  const limitStore = memoryStore();
  app.use('*', ipLimit(options.ipRate ?? 600, limitStore));

  const bearer = (c: Context) => c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
  const signedIn = async (c: Context<Env>, next: () => Promise<void>) => {
    const { session, user } = identity.session(bearer(c));
    c.set('session', session);
    c.set('user', user);
    await next();
  };
  const admin = async (c: Context<Env>, next: () => Promise<void>) => {
    if (!c.get('user').platformAdmin) throw errors.create('RESOURCE_FORBIDDEN');
    await next();
  };
  // Workspace-scoped endpoints: verified users only (`VerifiedUserGuard`), members of the URL's workspace.
  const member = async (c: Context<Env>, next: () => Promise<void>) => {
    identity.requireVerified(c.get('user'));
    c.set('workspace', workspaces.of(c.req.param('ws') ?? '', c.get('user').id));
    await next();
  };
  const calls = callGuards(
    identity,
    workspaces,
    { burst: options.callBurst ?? 5, quotas: options.callQuota ?? { trial: 50, active: 5000 } },
    limitStore,
  );

  // Auth & identity
  app.post('/auth/login', faults.json(), v(schemas.login), (c) => {
    const { email, password } = c.req.valid('json');
    return c.json({ token: identity.login(email, password).token });
  });
  app.post('/auth/google', faults.json(), v(schemas.google), async (c) =>
    c.json({ token: (await identity.google(c.req.valid('json').id_token)).token }),
  );
  app.post('/auth/refresh', (c) => c.json({ token: identity.refresh(bearer(c)).token }));
  app.patch('/me/email', signedIn, faults.json(), v(schemas.email), (c) => {
    identity.denyImpersonation(c.get('session'));
    c.get('user').email = c.req.valid('json').email;
    return c.json({ email: c.get('user').email });
  });
  app.post('/admin/impersonate', signedIn, faults.json(), v(schemas.impersonate), (c) =>
    c.json({ token: identity.impersonate(c.get('user'), c.req.valid('json').target).token }),
  );

  // Workspaces
  const ws = '/workspaces/:ws';
  app.use(`${ws}/*`, signedIn, member);
  app.post(`${ws}/contacts`, faults.json(), v(schemas.contact), (c) => {
    const workspace = c.get('workspace');
    const contact = { id: `ct_${workspace.contacts.size + 1}`, name: c.req.valid('json').name, version: 1 };
    workspace.contacts.set(contact.id, contact);
    return c.json(contact, 201, { etag: `"${contact.version}"` });
  });
  app.patch(`${ws}/contacts/:id`, faults.json(), v(schemas.contact), (c) => {
    const contact = workspaces.updateContact(
      c.get('workspace'),
      String(c.req.param('id')),
      c.req.valid('json').name,
      c.req.header('if-match'),
    );
    return c.json(contact, 200, { etag: `"${contact.version}"` });
  });
  app.post(`${ws}/agents/:id/transition`, faults.json(), v(schemas.transition), (c) =>
    c.json(workspaces.transition(c.get('workspace'), String(c.req.param('id')), c.req.valid('json').to)),
  );
  app.post(`${ws}/agents/:id/train`, (c) => {
    const agent = workspaces.train(c.get('workspace'), String(c.req.param('id')), options.trainingMs ?? 2000);
    return c.json({ id: agent.id, training: true }, 202);
  });
  app.post(`${ws}/calls`, faults.json(), calls, v(schemas.call), async (c) => {
    const call = await workspaces.dial(c.get('workspace'), c.req.valid('json'));
    return c.json({ id: call.id, status: call.status }, 201);
  });
  app.post(`${ws}/calls/:id/hangup`, (c) => {
    const call = workspaces.hangup(c.get('workspace'), String(c.req.param('id')));
    return c.json({ id: call.id, status: call.status });
  });
  app.put(`${ws}/calls/:id/recording`, async (c) => {
    const call = c.get('workspace').calls.get(String(c.req.param('id')));
    if (!call) throw errors.create('RESOURCE_NOT_FOUND');
    const audio = new Uint8Array(await c.req.arrayBuffer());
    try {
      await mkdir(join(storage, call.workspace), { recursive: true });
      await writeFile(join(storage, call.workspace, `${call.id}.wav`), audio);
    } catch (cause) {
      throw errors.create('STORAGE_ERROR', undefined, { cause });
    }
    return c.json({ stored: audio.byteLength }, 201);
  });
  app.post(`${ws}/calls/:id/listeners`, (c) =>
    c.json(workspaces.attach(c.get('workspace'), String(c.req.param('id')), c.get('user').id), 201),
  );
  app.put(`${ws}/branding`, faults.json(), v(schemas.branding), (c) => {
    workspaces.requireEntitlement(c.get('workspace'), 'branding');
    return c.json(c.req.valid('json'));
  });
  app.post(`${ws}/forum/threads`, faults.json(), v(schemas.thread), (c) =>
    c.json(community.post(c.get('user').id, c.req.valid('json').title), 201),
  );
  app.post(`${ws}/forum/threads/:id/reactions`, faults.json(), v(schemas.reaction), (c) =>
    c.json(community.react(c.get('user').id, String(c.req.param('id')), c.req.valid('json').emoji)),
  );

  // Widgets (public, visitor side)
  app.post('/widgets/:id/sessions', faults.json(), v(schemas.widgetSession), (c) =>
    c.json(
      widgets.start(String(c.req.param('id')), c.req.header('origin'), c.req.valid('json').visitorId),
      201,
    ),
  );
  app.post('/widget-sessions/messages', faults.json(), v(schemas.widgetMessage), (c) =>
    c.json(widgets.message(bearer(c), c.req.valid('json').text)),
  );

  // Page Manager
  app.post('/admin/pages', signedIn, admin, faults.json(), v(schemas.page), (c) => {
    const { slug, locale, body } = c.req.valid('json');
    return c.json(community.createPage(slug, locale, body), 201);
  });
  app.post('/admin/pages/:id/publish', signedIn, admin, (c) =>
    c.json(community.publish(String(c.req.param('id')))),
  );
  app.get('/pages/:slug', (c) =>
    c.json(community.published(String(c.req.param('slug')), c.req.query('locale') ?? 'en')),
  );

  // Help & Support
  app.post('/support/tickets', faults.json(), v(schemas.ticket), (c) => {
    const { email, subject } = c.req.valid('json');
    return c.json(support.open(email, subject), 201);
  });
  app.get('/support/tickets/:ref', (c) =>
    c.json(support.thread(String(c.req.param('ref')), c.req.query('token') ?? '')),
  );
  app.post('/support/tickets/:ref/chat', (c) => {
    support.thread(String(c.req.param('ref')), c.req.query('token') ?? '');
    return c.json({ chat: support.requestChat(String(c.req.param('ref'))).chat });
  });
  app.post('/support/track', faults.json(), v(schemas.track), (c) => {
    const { ref, email } = c.req.valid('json');
    support.requestOtp(ref, email);
    return c.json({ sent: true }, 202);
  });
  app.post('/support/track/verify', faults.json(), v(schemas.verify), (c) => {
    const { ref, email, otp } = c.req.valid('json');
    return c.json(support.verifyOtp(ref, email, otp));
  });
  app.patch('/admin/support/tickets/:ref', signedIn, admin, faults.json(), v(schemas.status), (c) =>
    c.json({ status: support.transition(String(c.req.param('ref')), c.req.valid('json').status).status }),
  );
  app.post('/admin/support/tickets/:ref/draft', signedIn, admin, async (c) =>
    c.json(await support.draft(String(c.req.param('ref')))),
  );
  app.post('/admin/support/tickets/:ref/assign', signedIn, admin, faults.json(), v(schemas.assign), (c) =>
    c.json({
      department: support.assign(String(c.req.param('ref')), c.req.valid('json').department).department,
    }),
  );
  app.post('/admin/support/tickets/:ref/chat/claim', signedIn, admin, (c) =>
    c.json({ chat: support.claimChat(String(c.req.param('ref'))).chat }),
  );
  app.post('/admin/support/departments', signedIn, admin, faults.json(), v(schemas.department), (c) => {
    const { slug, name } = c.req.valid('json');
    return c.json(support.addDepartment(slug, name), 201);
  });

  // White-label licensing
  app.post('/admin/licenses', signedIn, admin, faults.json(), v(schemas.license), (c) => {
    const { customer, days, seats } = c.req.valid('json');
    return c.json({ license: licensing.issue(customer, days, seats) }, 201);
  });
  app.post('/licenses/activate', faults.json(), v(schemas.activate), (c) => {
    const { license, instanceId } = c.req.valid('json');
    return c.json(licensing.activate(license, instanceId));
  });

  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  server.on('clientError', faults.clientError);
  return { server, app, identity, workspaces, widgets, community, support, licensing };
}

/** Starts seed 004 on `port` (0: a free one). */
export async function start(port = 0, options: SeedOptions = {}): Promise<Running & { seed: Seed }> {
  const seed = createSeed(options);
  return { ...(await listen(seed.server, port)), seed };
}
