/**
 * Seed 002 configured from the environment, as `server.ts` starts it: the page's values are the defaults,
 * and every upstream (Google's keys, the AI provider, the mail provider, Redis) is a URL.
 */
import { count, type Env, httpUrl, port, secret, url } from '../shared/env.js';
import { googleSignInFromEnv } from '../shared/google-id-token.js';
import { hashCostFromEnv } from '../shared/password-hash.js';
import type { SeedOptions } from './app.js';

/** The environment variables seed 002 reads, with what each sets. */
export const variables = {
  PORT: 'the port (0: a free one) @default 3002',
  OWNER_PASSWORD: 'the password of owner@example.com @default generated at start and printed',
  GOOGLE_CLIENT_ID: 'the OAuth client id Google ID tokens must name @default none: Google sign-in is off',
  GOOGLE_JWKS_URL: 'Google’s key set, https://www.googleapis.com/oauth2/v3/certs in production',
  GOOGLE_PUBLIC_KEY: 'or one PEM public key that signs ID tokens',
  GOOGLE_ISSUER: 'accepted issuers, comma-separated @default https://accounts.google.com,accounts.google.com',
  AI_PROVIDER_URL:
    'the AI provider’s completion endpoint @default none: suggestions answer EXTERNAL_SERVICE_ERROR',
  MAIL_URL: 'the mail provider (a JSON POST per mail) @default none: invites answer EXTERNAL_SERVICE_ERROR',
  REDIS_URL: 'keep accepted SDK events in a Redis stream @default in memory',
  SDK_EVENT_BUFFER: 'SDK events held for the pipeline; the oldest go past it @default 100000',
  SDK_EVENT_BYTES:
    'bytes of SDK events (as JSON) held for the pipeline, at least 32768; the oldest go past it @default 67108864 (64 MiB)',
  COOKIE_SECURE:
    'true or false: whether session cookies carry Secure; false only for plain HTTP on a host other than localhost @default true',
  MAX_TENANTS:
    'companies this instance holds; past it registration answers the page’s 500 REGISTRATION_FAILED @default 10000',
  MAX_USERS:
    'accounts this instance holds, by password or Google; past it a new one answers the page’s 500 REGISTRATION_FAILED @default 100000',
  SDK_RATE: 'SDK requests per minute per API key @default 600 (the page’s)',
  SDK_IP_RATE: 'SDK requests per minute per client address, before the key is looked up @default 6000',
  AUTH_IP_RATE: 'requests per minute per client address on /api/auth/* @default 30',
  LOGIN_FAILURES:
    'failed password logins per account from one client address in 15 minutes before that address is locked out of it @default 10',
  ACCOUNT_RATE:
    'requests per minute per signed-in account on the company routes (all but /api/sdk/*) @default 300',
  INVITES_PER_DAY: 'invites (each a mail) per company per UTC day @default 100',
  AI_SUGGESTIONS_PER_DAY: 'AI suggestions (each a call to the provider) per company per UTC day @default 200',
  IP_REGISTRATIONS_PER_DAY: 'companies registered per client address per UTC day @default 3',
  IP_INVITES_PER_DAY:
    'invites (each a mail) per client address per UTC day, whatever the company @default 200',
  IP_AI_SUGGESTIONS_PER_DAY:
    'AI suggestions (each a call to the provider) per client address per UTC day, whatever the company @default 400',
  MAX_FLOWS: 'flows one company holds @default 1000',
  MAX_AUDIENCES: 'audiences one company holds @default 200',
  MAX_PENDING_INVITES:
    'invites of one company waiting to be accepted (each lapses after 7 days) @default 100',
  MAX_API_KEYS: 'SDK keys one company holds, revoked and expired ones not counted @default 100',
  PASSWORD_HASH_COST:
    'log2 of scrypt’s N for new password hashes (r=8, p=1), 10 to 20; a stored hash keeps its own and is made again at this cost on its next sign-in @default 17',
} as const;

/** `true` or `false`, else throws naming the variable. */
function flag(env: Env, name: string): boolean | undefined {
  const text = env[name]?.trim().toLowerCase();
  if (text === undefined || text === '') return undefined;
  if (text === 'true' || text === 'false') return text === 'true';
  throw new TypeError(`${name} must be true or false, not "${env[name]}"`);
}

/** The options of seed 002 from `env`, and where it listens; throws naming a variable it cannot use. */
export function optionsFromEnv(env: Env): SeedOptions & {
  port: number;
  ownerPassword?: string;
  mailUrl?: string;
  redisUrl?: string;
} {
  const set = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  const failures = count(env, 'LOGIN_FAILURES');
  return {
    port: port(env, 3002),
    ...set('ownerPassword', secret(env, 'OWNER_PASSWORD', 8)),
    ...set('google', googleSignInFromEnv(env)),
    ...set('aiProvider', httpUrl(env, 'AI_PROVIDER_URL')),
    ...set('mailUrl', httpUrl(env, 'MAIL_URL')),
    ...set('redisUrl', url(env, 'REDIS_URL', ['redis:', 'rediss:'])),
    ...set('eventBuffer', count(env, 'SDK_EVENT_BUFFER')),
    ...set('eventBytes', count(env, 'SDK_EVENT_BYTES')),
    ...set('cookieSecure', flag(env, 'COOKIE_SECURE')),
    ...set('maxTenants', count(env, 'MAX_TENANTS')),
    ...set('maxUsers', count(env, 'MAX_USERS')),
    ...set('sdkRate', count(env, 'SDK_RATE')),
    ...set('sdkIpRate', count(env, 'SDK_IP_RATE')),
    ...set('authIpRate', count(env, 'AUTH_IP_RATE')),
    ...set('accountRate', count(env, 'ACCOUNT_RATE')),
    ...set('invitesPerDay', count(env, 'INVITES_PER_DAY')),
    ...set('suggestionsPerDay', count(env, 'AI_SUGGESTIONS_PER_DAY')),
    ...set('ipRegistrationsPerDay', count(env, 'IP_REGISTRATIONS_PER_DAY')),
    ...set('ipInvitesPerDay', count(env, 'IP_INVITES_PER_DAY')),
    ...set('ipSuggestionsPerDay', count(env, 'IP_AI_SUGGESTIONS_PER_DAY')),
    ...set('maxFlows', count(env, 'MAX_FLOWS')),
    ...set('passwordHashCost', hashCostFromEnv(env)),
    ...set('maxAudiences', count(env, 'MAX_AUDIENCES')),
    ...set('maxPendingInvites', count(env, 'MAX_PENDING_INVITES')),
    ...set('maxApiKeys', count(env, 'MAX_API_KEYS')),
    ...(failures === undefined ? {} : { loginFailures: { limit: failures } }),
  };
}
