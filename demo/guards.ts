import { createHash } from 'node:crypto';
import {
  apiKey,
  byHeader,
  byIp,
  cooldown,
  type Guard,
  type GuardRequest,
  idempotency,
  quota,
  rateLimit,
} from 'faultline/guards';
import { guard } from 'faultline/node';
import type { Store } from 'faultline/stores';
import * as z from 'zod';
import { errors } from './catalog.js';

const appIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A media URL of a play command, over HTTP or on the socket: HTTP or HTTPS only, as URLS_REQUIRED's fix says
 * (`z.url()` alone takes file:, javascript: or gopher: URLs, which a copy that fetches its media would follow).
 */
export const mediaUrl = z.url({ protocol: /^https?$/ });

/** The media URLs one play command takes, over HTTP or on the socket: zod stops at the count first. */
export const maxUrls = 16;

// byHeader refuses a header sent twice (400 INVALID_HEADER): guards and handlers read one and the same value.
/** The app id of a request, as the guards checked it. */
export const appIdOf = byHeader('X-App-ID');
const apiKeyOf = byHeader('X-API-Key');

/**
 * The session of a media command (play, record), its segments decoded as the router decodes them: a
 * percent-encoded `pl%61y` or a query string is the same command, and cools down alike.
 */
function mediaSessionOf(url: string | undefined): string | undefined {
  const segments = (url ?? '').replace(/[?#].*$/s, '').split('/');
  if (
    segments.length !== 6 ||
    segments[1] !== 'v1' ||
    segments[2] !== 'sessions' ||
    segments[4] !== 'commands'
  )
    return undefined;
  try {
    const command = decodeURIComponent(segments[5]!);
    return command === 'play' || command === 'record' ? decodeURIComponent(segments[3]!) : undefined;
  } catch {
    return undefined; // Not a route the router matches: it answers 404.
  }
}

// Replays go only to the caller presenting the same app and key (hashed: keys never reach the store).
function tenantOf(request: GuardRequest): string {
  return createHash('sha256')
    .update(`${appIdOf(request)}\n${apiKeyOf(request)}`)
    .digest('base64url');
}

/**
 * Authenticates a request as one app: its X-App-ID, then its X-API-Key, compared by faultline's `apiKey`
 * (hashed, constant time; an unknown app costs what a wrong key does), answered with the demo's own codes.
 */
function authentication(apps: Readonly<Record<string, string>>): Guard {
  // A Map, not the object: an app id such as `constructor` finds no key on a prototype.
  const keys = new Map(Object.entries(apps));
  // The catalog renames the apiKey guard's codes to the demo's (MISSING_API_KEY, INVALID_API_KEY).
  const key = apiKey({ keys: (request) => keys.get(appIdOf(request) ?? '') });
  return {
    kind: 'authentication',
    check(context) {
      const appId = appIdOf(context.request);
      if (appId === undefined) throw errors.create('MISSING_APP_ID');
      if (!appIdPattern.test(appId)) throw errors.create('INVALID_APP_ID');
      return key.check(context);
    },
  };
}

/**
 * The guards of the demo, in the order that keeps each limit on what its caller cannot forge: the per-IP
 * limit first, as it is all that bounds guessing at keys; then authentication; then the idempotency key,
 * so that a retry is its replay and spends nothing twice; then the app's own limits, which only a request
 * that proved it is the app may spend (one they refuse frees its key). Public routes get the per-IP limit alone; a WebSocket handshake passes the same per-IP
 * limit (one budget per address for HTTP and WebSocket) and the same authentication, and a command sent on
 * the socket spends the app's limits as the same command over HTTP does (one cooldown per session).
 */
export function demoGuards(store: Store, apps: Readonly<Record<string, string>>) {
  const perIp = rateLimit({ store, name: 'per-ip', key: byIp, limit: 1200, period: '1m' });
  const authenticated = authentication(apps);
  const appLimits = [
    rateLimit({ store, name: 'per-app', key: appIdOf, limit: 600, period: '1m' }),
    quota({ store, name: 'daily', key: appIdOf, limit: 100_000, per: 'day' }),
    cooldown({
      store,
      // Per app and session: one app's commands never cool down another's.
      key: (r) => {
        const session = mediaSessionOf(r.url);
        return session === undefined ? undefined : `${appIdOf(r)}:${session}`;
      },
      group: 'media',
      interval: '1s',
    }),
  ] as const;
  return {
    open: guard(perIp),
    // The key before the app's limits: a retry of a command already answered gets its replay, and spends
    // neither the rate, the quota nor the cooldown a second time; one a limit refuses frees its key (a 429
    // is never kept), so its retry runs.
    api: guard(perIp, authenticated, idempotency({ store, tenant: tenantOf }), ...appLimits),
    handshake: [perIp, authenticated] as const,
    /** What a command on the socket passes, read as `POST /v1/sessions/:id/commands/:command` of its app. */
    command: appLimits,
  };
}
