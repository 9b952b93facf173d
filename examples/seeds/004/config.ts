/**
 * Seed 004 configured from the environment, as `server.ts` starts it. Every timeout the page states has the
 * page's value by default (the idle window: 30 minutes) and can be shortened, so that a test reaches it in
 * seconds. Upstreams (the telephony provider, the reply-draft service, the mail relay) are URLs. No
 * credential has a default: passwords are made at start, and what has no key stays off.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { googleSignInFromEnv } from '../shared/google-id-token.js';
import { hashCostFromEnv } from '../shared/password-hash.js';
import type { SeedOptions } from './app.js';

/** The environment variables seed 004 reads, with what each sets. */
export const variables = {
  PORT: 'the port (0: a free one) @default 3004',
  OWNER_PASSWORD: 'the password of owner@example.com @default generated at start and printed',
  ADMIN_PASSWORD:
    'the password of the platform admin admin@example.com @default generated at start and printed',
  PROVIDER_URL: 'the telephony provider’s API base URL @default http://127.0.0.1:9 (nothing listens)',
  PROVIDER_CREDENTIAL: 'the demo workspace’s provider credential @default none: set it with PUT …/provider',
  DRAFT_SERVICE_URL: 'the AI reply-draft service @default none: drafts answer SUPPORT_DRAFT_UNAVAILABLE',
  MAIL_URL: 'the mail relay mails are POSTed to as JSON { to, subject, text } @default none: no mail is sent',
  RECORDINGS_DIR:
    'the folder call recordings are written to @default a new folder under the OS temp dir, made at the first recording',
  LICENSE_SIGNING_KEY:
    'the Ed25519 license-signing private key, PEM (PKCS#8) @default none: issuing answers LICENSE_SIGNING_KEY_MISSING',
  LICENSE_GRACE_MS:
    'the offline grace of a deployed instance whose license is revoked or expired @default 604800000 (7 days)',
  IDLE_TIMEOUT_MS: 'the sliding idle window of a session @default 1800000 (30 minutes)',
  UNVERIFIED_TTL_MS:
    'how long an unverified sign-up holds its address; then a sign-up with it replaces it @default 86400000 (24 hours)',
  UNVERIFIED_MAX:
    'the most unverified sign-ups held at once; past it the one that has waited longest is forgotten @default 10000',
  SESSIONS_MAX:
    'the sessions an account holds at once; a sign-in past it ends the one used least recently @default 20',
  RESET_TOKEN_TTL_MS: 'how long a mailed password-reset token works @default 1800000 (30 minutes)',
  WIDGET_SESSION_TTL_MS: 'how long a visitor’s widget session lasts @default 3600000 (1 hour)',
  TRAINING_MS: 'how long an agent training run lasts @default 2000',
  CALL_BURST: 'outbound calls per second per user of a workspace @default 5',
  CALL_QUOTA_TRIAL_DAY: 'outbound calls per day of a trial workspace @default 50',
  CALL_QUOTA_TRIAL_MONTH: 'outbound calls per month of a trial workspace @default 500',
  CALL_QUOTA_ACTIVE_DAY: 'outbound calls per day of a workspace on a paid plan @default 5000',
  CALL_QUOTA_ACTIVE_MONTH: 'outbound calls per month of a workspace on a paid plan @default 100000',
  IP_RATE: 'requests per minute per client address, before authentication @default 600',
  TICKET_RATE: 'support tickets opened per hour per client address @default 20',
  EMAIL_CHANGES_PER_HOUR:
    'address changes (PATCH /me/email) per hour per user; past it, RATE_LIMITED @default 5',
  FORUM_WRITES_PER_HOUR: 'forum threads and replies per hour per user @default 60',
  FORUM_REPLIES_MAX: 'the replies a forum thread holds; past it, QUOTA_EXCEEDED @default 1000',
  WORKSPACES_MAX: 'the workspaces a user owns; past it, QUOTA_EXCEEDED @default 50',
  WORKSPACE_ITEMS_MAX:
    'the contacts, numbers, agents, Do-Not-Call entries and widgets a workspace holds, each; past it, QUOTA_EXCEEDED @default 1000',
  READ_TIMEOUT_MS: 'how long a request body may stall before 408 @default 10000',
  PASSWORD_HASH_COST:
    'log2 of scrypt’s N for new password hashes (r=8, p=1), 10 to 20; a stored hash keeps its own and is made again at this cost on its next sign-in @default 17',
  PASSWORD_RATE:
    'password attempts (sign-in, sign-up, password reset) per minute per client address; past it, RATE_LIMITED @default 20',
  PASSWORD_HASHES_MAX: 'password hashes run at once across the server @default 2',
  PASSWORD_HASH_QUEUE:
    'password hashes that wait for a running one; past them, a sign-in, sign-up or reset answers RATE_LIMITED @default 8',
  GOOGLE_CLIENT_ID: 'the OAuth client id Google ID tokens must name @default none: Google sign-in is off',
  GOOGLE_JWKS_URL: 'the JWKS URL Google ID tokens are checked against',
  GOOGLE_PUBLIC_KEY: 'or one PEM (SPKI) public key they are checked against, instead of GOOGLE_JWKS_URL',
  GOOGLE_ISSUER:
    'the accepted issuers, comma-separated @default https://accounts.google.com, accounts.google.com',
} as const;

type Env = Readonly<Record<string, string | undefined>>;
type Name = keyof typeof variables;

function count(env: Env, name: Name): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`${name} must be a positive integer, not "${text}"`);
  return value;
}

function url(env: Env, name: Name): string | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  try {
    const parsed = new URL(text);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.href.replace(/\/$/, '');
  } catch {}
  throw new TypeError(`${name} must be an http(s) URL, not "${text}"`);
}

function signingKey(env: Env): KeyObject | undefined {
  const pem = env.LICENSE_SIGNING_KEY?.trim();
  if (!pem) return undefined;
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new TypeError('LICENSE_SIGNING_KEY must be a PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new TypeError(`LICENSE_SIGNING_KEY must be an Ed25519 key, not ${key.asymmetricKeyType}`);
  return key;
}

/** The options of seed 004 from `env`; throws on a value it cannot use, naming the variable. */
export function optionsFromEnv(env: Env): SeedOptions & { port: number } {
  const port = env.PORT === undefined || env.PORT === '' ? 3004 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new TypeError(`PORT must be a port, not "${env.PORT}"`);
  const set = <K extends keyof SeedOptions>(key: K, value: SeedOptions[K] | undefined) =>
    value === undefined ? {} : { [key]: value };
  const google = googleSignInFromEnv(env);
  return {
    port,
    callQuota: {
      trial: {
        day: count(env, 'CALL_QUOTA_TRIAL_DAY') ?? 50,
        month: count(env, 'CALL_QUOTA_TRIAL_MONTH') ?? 500,
      },
      active: {
        day: count(env, 'CALL_QUOTA_ACTIVE_DAY') ?? 5000,
        month: count(env, 'CALL_QUOTA_ACTIVE_MONTH') ?? 100_000,
      },
    },
    ...set('google', google),
    ...set('providerUrl', url(env, 'PROVIDER_URL')),
    ...set('draftService', url(env, 'DRAFT_SERVICE_URL')),
    ...set('mailUrl', url(env, 'MAIL_URL')),
    ...set('storage', env.RECORDINGS_DIR || undefined),
    ...set('licenseSigningKey', signingKey(env)),
    ...set('licenseGraceMs', count(env, 'LICENSE_GRACE_MS')),
    ...set('idleTimeoutMs', count(env, 'IDLE_TIMEOUT_MS')),
    ...set('unverifiedTtlMs', count(env, 'UNVERIFIED_TTL_MS')),
    ...set('unverifiedMax', count(env, 'UNVERIFIED_MAX')),
    ...set('sessionsMax', count(env, 'SESSIONS_MAX')),
    ...set('resetTokenTtlMs', count(env, 'RESET_TOKEN_TTL_MS')),
    ...set('widgetSessionTtlMs', count(env, 'WIDGET_SESSION_TTL_MS')),
    ...set('trainingMs', count(env, 'TRAINING_MS')),
    ...set('callBurst', count(env, 'CALL_BURST')),
    ...set('ipRate', count(env, 'IP_RATE')),
    ...set('ticketRate', count(env, 'TICKET_RATE')),
    ...set('emailChangesPerHour', count(env, 'EMAIL_CHANGES_PER_HOUR')),
    ...set('forumWritesPerHour', count(env, 'FORUM_WRITES_PER_HOUR')),
    ...set('forumRepliesMax', count(env, 'FORUM_REPLIES_MAX')),
    ...set('workspacesMax', count(env, 'WORKSPACES_MAX')),
    ...set('workspaceItemsMax', count(env, 'WORKSPACE_ITEMS_MAX')),
    ...set('readTimeoutMs', count(env, 'READ_TIMEOUT_MS')),
    ...set('passwordHashCost', hashCostFromEnv(env)),
    ...set('passwordRate', count(env, 'PASSWORD_RATE')),
    ...set('passwordHashesMax', count(env, 'PASSWORD_HASHES_MAX')),
    ...set('passwordHashQueue', count(env, 'PASSWORD_HASH_QUEUE')),
  };
}
