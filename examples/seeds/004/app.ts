/**
 * Seed 004: the voice SaaS of reference page 004 on Hono. Workspaces gated by subscription, entitlement and
 * lifecycle; outbound calls behind a burst limit, quotas per day and per month and `Idempotency-Key`;
 * widgets, forum, pages, support and licensing; platform-admin routes for everything an operator sets
 * (users and roles, plans, suspensions, bans, licenses). Ticket lookups collapse their reasons: the wire
 * answer is the same for an unknown ref and a wrong token, the log line says which.
 */
import type { KeyObject } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { createHonoErrors } from 'faultline/hono';
import { memoryStore } from 'faultline/stores';
import { Hono } from 'hono';
import { type GoogleSignInOptions, googleSignIn } from '../shared/google-id-token.js';
import { headTimeouts } from '../shared/head-timeouts.js';
import { defaultHashSlots, PasswordHasher } from '../shared/password-hash.js';
import {
  type Clock,
  type LogSink,
  listen,
  logErrors,
  type Running,
  refuseConnect,
  systemClock,
} from '../shared/run.js';
import { adminRoutes } from './admin-routes.js';
import { authRoutes } from './auth-routes.js';
import { Calls } from './calls.js';
import { errors, format } from './catalog.js';
import { Community } from './community.js';
import { type Env, type Kit, middlewares } from './http.js';
import { Identity } from './identity.js';
import { Licensing } from './licensing.js';
import {
  callGuards,
  emailChangeLimit,
  forumLimit,
  ipLimit,
  type PlanQuota,
  passwordLimit,
  ticketLimit,
} from './limits.js';
import { httpMailer, type Mailer, noMail } from './mail.js';
import { PasswordResets } from './password-reset.js';
import { httpProvider } from './provider.js';
import { publicRoutes } from './public-routes.js';
import { Support } from './support.js';
import { Widgets } from './widgets.js';
import { workspaceRoutes } from './workspace-routes.js';
import { defaultCaps, Workspaces } from './workspaces.js';

/** Options of seed 004. */
export interface SeedOptions {
  clock?: Clock;
  log?: LogSink;
  /** The telephony provider's API base URL. @default http://127.0.0.1:9 (nothing listens) */
  providerUrl?: string;
  /** The AI draft service for support replies. @default none: drafts answer SUPPORT_DRAFT_UNAVAILABLE */
  draftService?: string;
  /** The mail relay mails are POSTed to. @default none: no mail is sent */
  mailUrl?: string;
  /** Sends mail; overrides `mailUrl` (tests read the mails here). */
  mail?: Mailer;
  /**
   * Where call recordings are written. @default a new folder under the OS temp dir, made at the first
   * recording (mode 0700), never a fixed name that another instance, or another local user, made or linked first
   */
  storage?: string;
  /** Outbound calls per user of a workspace per second (burst). @default 5 */
  callBurst?: number;
  /**
   * Outbound calls per workspace per day and per month, by plan (quotas).
   * @default { trial: { day: 50, month: 500 }, active: { day: 5000, month: 100000 } }
   */
  callQuota?: { trial: PlanQuota; active: PlanQuota };
  /** The license-signing private key (Ed25519). @default none: issuing answers LICENSE_SIGNING_KEY_MISSING */
  licenseSigningKey?: KeyObject;
  /** The offline grace of a deployed instance whose license is revoked or expired. @default 7 days */
  licenseGraceMs?: number;
  /** Google sign-in: the OAuth client id and the keys ID tokens are checked against. @default off */
  google?: GoogleSignInOptions;
  /** Requests per minute per client address, before authentication. @default 600 */
  ipRate?: number;
  /** Support tickets opened per hour per client address (they need no account). @default 20 */
  ticketRate?: number;
  /** Address changes (`PATCH /me/email`) per hour per user; past it, RATE_LIMITED. @default 5 */
  emailChangesPerHour?: number;
  /** Forum threads and replies per hour per user. @default 60 */
  forumWritesPerHour?: number;
  /** The replies a forum thread holds; past it, a reply answers QUOTA_EXCEEDED. @default 1000 */
  forumRepliesMax?: number;
  /** The workspaces a user owns; past it, a new one answers QUOTA_EXCEEDED. @default 50 */
  workspacesMax?: number;
  /**
   * The contacts, numbers, agents, Do-Not-Call entries and widgets a workspace holds, each; past it, a new
   * one answers QUOTA_EXCEEDED. @default 1000
   */
  workspaceItemsMax?: number;
  /** How long an agent training run lasts. @default 2000 ms */
  trainingMs?: number;
  /** The sliding idle window of a session. @default 30 minutes */
  idleTimeoutMs?: number;
  /** How long an unverified registration holds its address; then a sign-up replaces it. @default 24 hours */
  unverifiedTtlMs?: number;
  /**
   * The most unverified registrations held at once; past it, a sign-up makes room by forgetting the one that
   * has waited longest (sign-up is never refused for it). @default 10000
   */
  unverifiedMax?: number;
  /**
   * The sessions an account holds at once; past it, a new one ends the one used least recently (an
   * impersonation session counts for the admin and for the user alike). @default 20
   */
  sessionsMax?: number;
  /** How long a mailed password-reset token works. @default 30 minutes */
  resetTokenTtlMs?: number;
  /** How long a visitor's widget session lasts. @default 1 hour */
  widgetSessionTtlMs?: number;
  /** How long a request body may stall before the answer is 408. @default 10000 ms */
  readTimeoutMs?: number;
  /**
   * log2 of scrypt's N for new password hashes (r=8, p=1), from 10 to 20; a stored hash keeps its own
   * parameters, and is made again at this cost when its account next signs in. @default 17
   */
  passwordHashCost?: number;
  /** Password attempts (sign-in, sign-up, password reset) per minute per client address. @default 20 */
  passwordRate?: number;
  /** Password hashes run at once across the server (each takes a thread of node's pool of 4). @default 2 */
  passwordHashesMax?: number;
  /** Password hashes that wait for a running one; past them, a hash answers RATE_LIMITED. @default 8 */
  passwordHashQueue?: number;
}

export interface Seed {
  readonly server: Server;
  readonly app: Hono<Env>;
  readonly identity: Identity;
  readonly workspaces: Workspaces;
  readonly calls: Calls;
  readonly widgets: Widgets;
  readonly community: Community;
  readonly support: Support;
  readonly licensing: Licensing;
}

/**
 * The recordings folder: `path`, or a new one under the OS temp dir, made when first asked for (an instance
 * that records nothing leaves nothing behind) and kept; a failure to make it is tried again next time.
 */
function recordingsFolder(path: string | undefined): () => Promise<string> {
  if (path !== undefined) return () => Promise.resolve(path);
  let made: Promise<string> | undefined;
  return () => {
    made ??= mkdtemp(join(tmpdir(), 'seed-004-recordings-')).catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    return made;
  };
}

// A sign-in past the hashes queued: the page's 429, to come back in a second.
const busyHashing = () => errors.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '1' } });

export function createSeed(options: SeedOptions = {}): Seed {
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const log = options.log;
  const mail =
    options.mail ??
    (options.mailUrl
      ? httpMailer(options.mailUrl, (cause) =>
          process.stderr.write(
            `${JSON.stringify({ level: 'warn', event: 'mail-not-delivered', cause: String(cause) })}\n`,
          ),
        )
      : noMail);
  const provider = httpProvider(options.providerUrl ?? 'http://127.0.0.1:9');
  const identity = new Identity(
    clock,
    googleSignIn(options.google),
    mail,
    options.idleTimeoutMs,
    options.unverifiedTtlMs,
    options.unverifiedMax,
    options.sessionsMax,
    new PasswordHasher(busyHashing, options.passwordHashCost, {
      running: options.passwordHashesMax ?? defaultHashSlots.running,
      waiting: options.passwordHashQueue ?? defaultHashSlots.waiting,
    }),
  );
  const resets = new PasswordResets(clock, identity, mail, options.resetTokenTtlMs);
  const workspaces = new Workspaces({
    perUser: options.workspacesMax ?? defaultCaps.perUser,
    items: options.workspaceItemsMax ?? defaultCaps.items,
  });
  // Plivo is a provider workspaces may pick, but its adapter is not wired into this build.
  const calls = new Calls(
    workspaces,
    new Map([
      ['twilio', provider],
      ['telnyx', provider],
    ]),
  );
  const widgets = new Widgets(clock, options.widgetSessionTtlMs);
  const community = new Community(options.forumRepliesMax);
  const support = new Support(now, options.draftService, mail);
  const licensing = new Licensing(now, options.licenseSigningKey, options.licenseGraceMs);
  const faults = createHonoErrors(
    { catalog: errors, format, onError: logErrors(log) },
    options.readTimeoutMs === undefined ? {} : { body: { readTimeout: options.readTimeoutMs } },
  );
  const app = new Hono<Env>();
  faults.install(app);
  // This instance's own limit state: two seeds in one process (as in tests) never share counters.
  const limitStore = memoryStore();
  app.use('*', ipLimit(options.ipRate ?? 600, limitStore));
  const kit: Kit = {
    app,
    faults,
    ...middlewares(identity, workspaces),
    identity,
    resets,
    workspaces,
    calls,
    widgets,
    community,
    support,
    licensing,
    now,
  };
  authRoutes(kit, {
    passwordLimit: passwordLimit(options.passwordRate ?? 20, limitStore),
    emailChangeLimit: emailChangeLimit(identity, options.emailChangesPerHour ?? 5, limitStore),
  });
  workspaceRoutes(kit, {
    storage: recordingsFolder(options.storage),
    trainingMs: options.trainingMs ?? 2000,
    readTimeout: options.readTimeoutMs ?? 10_000,
    callGuards: callGuards(
      identity,
      workspaces,
      {
        burst: options.callBurst ?? 5,
        quotas: options.callQuota ?? {
          trial: { day: 50, month: 500 },
          active: { day: 5000, month: 100_000 },
        },
      },
      limitStore,
    ),
  });
  adminRoutes(kit);
  publicRoutes(kit, {
    ticketLimit: ticketLimit(options.ticketRate ?? 20, limitStore),
    forumLimit: forumLimit(identity, options.forumWritesPerHour ?? 60, limitStore),
  });

  // `@hono/node-server` answers a request it cannot make a URL of (HTTP/1.0 without Host, the `*` target,
  // a Host with userinfo or a space) with a bare 400 and no body unless it is given an error handler.
  const server = createServer(
    headTimeouts(options.readTimeoutMs),
    getRequestListener(app.fetch, {
      errorHandler: (error) => {
        const thrown =
          error instanceof Error && error.name === 'RequestError' ? errors.builtin('badRequest') : error;
        const { status, headers, body } = faults.errors.handle(thrown, {});
        return new Response(body, { status, headers });
      },
    }),
  );
  server
    .on('clientError', faults.clientError)
    .on('checkContinue', faults.checkContinue)
    .on('checkExpectation', faults.checkExpectation);
  refuseConnect(server, faults.clientError);
  return { server, app, identity, workspaces, calls, widgets, community, support, licensing };
}

/** Starts seed 004 on `port` (0: a free one). */
export async function start(port = 0, options: SeedOptions = {}): Promise<Running & { seed: Seed }> {
  const seed = createSeed(options);
  return { ...(await listen(seed.server, port)), seed };
}
