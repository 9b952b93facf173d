/**
 * Seed 002: the product-tour SaaS API of reference page 002 on Fastify. Its nested envelope carries a
 * category per code and validation `details[]` of `{ path, message }`; SDK routes allow 600 requests per
 * minute per API key.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { createFastifyErrors } from 'faultline/fastify';
import { memoryStore } from 'faultline/stores';
import type { FailedAttemptsOptions } from '../shared/failed-attempts.js';
import type { GoogleSignInOptions } from '../shared/google-id-token.js';
import { headTimeouts } from '../shared/head-timeouts.js';
import {
  type Clock,
  type LogSink,
  logErrors,
  type Running,
  refuseConnect,
  stderrSink,
  systemClock,
} from '../shared/run.js';
import { authRoutes } from './auth.js';
import { errors, format } from './catalog.js';
import { Tours, type ToursOptions } from './domain.js';
import { refuseCrossSite, seedApp } from './http.js';
import { type Mailer, noMailer } from './mail.js';
import { tenantRoutes } from './routes.js';

/** Options of seed 002. */
export interface SeedOptions extends ToursOptions {
  clock?: Clock;
  log?: LogSink;
  /** The AI provider that suggests tour copy. @default https://ai.invalid (every suggestion fails) */
  aiProvider?: string;
  /** Where invite and reset mails go. @default none: invites answer EXTERNAL_SERVICE_ERROR */
  mailer?: Mailer;
  /** SDK requests per minute per API key. @default 600 */
  sdkRate?: number;
  /** SDK requests per minute per client address, before the key is looked up. @default 6000 */
  sdkIpRate?: number;
  /** Requests per minute per signed-in account on the company routes (all but `/api/sdk/*`). @default 300 */
  accountRate?: number;
  /** Invites per company per UTC day. @default 100 */
  invitesPerDay?: number;
  /** AI suggestions per company per UTC day. @default 200 */
  suggestionsPerDay?: number;
  /** Companies registered per client address per UTC day. @default 3 */
  ipRegistrationsPerDay?: number;
  /** Invites per client address per UTC day, whatever the company. @default 200 */
  ipInvitesPerDay?: number;
  /** AI suggestions per client address per UTC day, whatever the company. @default 400 */
  ipSuggestionsPerDay?: number;
  /** Google sign-in: the OAuth client id and the keys ID tokens are checked against. @default off */
  google?: GoogleSignInOptions;
  /** Requests per minute per client address on every `/api/auth/*` route. @default 30 */
  authIpRate?: number;
  /** Failed password logins per account before it is locked for a while. @default 10 per 15 minutes */
  loginFailures?: FailedAttemptsOptions;
  /** Whether the session cookies carry `Secure`; off only for a plain-HTTP host other than localhost. @default true */
  cookieSecure?: boolean;
}

export interface Seed {
  readonly app: FastifyInstance;
  readonly tours: Tours;
}

export async function createSeed(options: SeedOptions = {}): Promise<Seed> {
  const clock = options.clock ?? systemClock;
  const tours = new Tours(clock, options);
  const faultline = createFastifyErrors({ catalog: errors, format, onError: logErrors(options.log) });
  // A path Fastify's router refuses (`/%ZZ`) reaches faultline through `frameworkErrors`, else Fastify
  // answers it with its own body. Request ids are UUIDs: Fastify's own `req-1`, `req-2`, … count the
  // requests a process has seen and repeat after each restart.
  const app = Fastify({
    bodyLimit: 1024 * 1024,
    genReqId: () => randomUUID(),
    frameworkErrors: faultline.frameworkErrors,
    // A head sent a byte at a time gets 10 s (node's own bound let it hold a connection about 90 s).
    http: headTimeouts(),
  });
  // This instance's own limit state: two seeds in one process (as in tests) never share counters.
  const limits = memoryStore({ now: () => clock.now() });
  app.addHook('onClose', async () => limits.close());
  await app.register(faultline);
  refuseConnect(app.server, faultline.clientError);
  app.get('/api/health', async () => ({ ok: true }));
  refuseCrossSite(app);

  const http = seedApp(app, tours);
  const mailer = options.mailer ?? noMailer;
  authRoutes(http, {
    tours,
    clock,
    limits,
    mailer,
    log: options.log ?? stderrSink,
    google: options.google,
    authIpRate: options.authIpRate,
    ipRegistrationsPerDay: options.ipRegistrationsPerDay ?? 3,
    cookieSecure: options.cookieSecure,
    loginFailures: options.loginFailures,
  });
  tenantRoutes(http, {
    tours,
    limits,
    mailer,
    aiProvider: options.aiProvider ?? 'https://ai.invalid/v1/complete',
    sdkRate: options.sdkRate ?? 600,
    sdkIpRate: options.sdkIpRate ?? 6000,
    accountRate: options.accountRate ?? 300,
    invitesPerDay: options.invitesPerDay ?? 100,
    suggestionsPerDay: options.suggestionsPerDay ?? 200,
    ipInvitesPerDay: options.ipInvitesPerDay ?? 200,
    ipSuggestionsPerDay: options.ipSuggestionsPerDay ?? 400,
  });
  return { app, tours };
}

/** Starts seed 002 on `port` (0: a free one). */
export async function start(port = 0, options: SeedOptions = {}): Promise<Running & { seed: Seed }> {
  const seed = await createSeed(options);
  const address = await seed.app.listen({ port, host: '127.0.0.1' });
  const bound = Number(new URL(address).port);
  return { url: `http://127.0.0.1:${bound}`, port: bound, close: () => seed.app.close(), seed };
}
