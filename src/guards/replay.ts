import type { CapturedResponse } from './types.js';
import { fromBase64, toBase64 } from './web-crypto.js';

// Fields a replay must not copy: hop-by-hop, per-response ones, the limits of the replaying request, and
// cookies: a session set for the first caller is neither kept in the store nor handed to whoever retries
// with the key (a key shared by a tenant's users would hand one user's session to another).
const skipped = new Set([
  'set-cookie',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'date',
  'ratelimit',
  'ratelimit-policy',
  'retry-after',
  'idempotent-replayed',
]);

/** A captured response as the text a store keeps. */
export function encodeResponse(response: CapturedResponse): string {
  const headers = response.headers.filter(([name]) => !skipped.has(name));
  return JSON.stringify({
    s: response.status,
    h: headers,
    b: toBase64(response.body),
  });
}

/** The response a store kept, or undefined when the text is not one. */
export function decodeResponse(text: string): CapturedResponse | undefined {
  try {
    const data = JSON.parse(text) as { s: number; h: [string, string][]; b: string };
    if (!Number.isInteger(data.s) || !Array.isArray(data.h) || typeof data.b !== 'string') return undefined;
    // Filtered again: an answer kept before a field joined the list (a cookie) is replayed without it too.
    return {
      status: data.s,
      headers: data.h.filter(([name]) => !skipped.has(name)),
      body: fromBase64(data.b),
    };
  } catch {
    return undefined;
  }
}
