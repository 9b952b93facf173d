import { headerToken, isSafeHeaderValue } from '../server/header-grammar.js';
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
  'trailer',
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

/**
 * The response a store kept, or undefined when the text is not one: a status a final answer can have,
 * header lines a response can carry (names lower case, values node would send), a base64 body. A record
 * altered in the store is refused whole, never half sent.
 */
export function decodeResponse(text: string): CapturedResponse | undefined {
  try {
    const data = JSON.parse(text) as { s: unknown; h: unknown; b: unknown };
    const { s: status, h: lines, b: body } = data;
    if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599) return undefined;
    if (!Array.isArray(lines) || typeof body !== 'string') return undefined;
    const headers: [string, string][] = [];
    for (const line of lines as unknown[]) {
      if (!Array.isArray(line) || line.length !== 2) return undefined;
      const [name, value] = line as [unknown, unknown];
      // A capture writes names lower case.
      if (typeof name !== 'string' || !headerToken.test(name) || name !== name.toLowerCase())
        return undefined;
      if (typeof value !== 'string' || !isSafeHeaderValue(value)) return undefined;
      // Filtered again: an answer kept before a field joined the list (a cookie) is replayed without it too.
      if (!skipped.has(name)) headers.push([name, value]);
    }
    return { status: status as number, headers, body: fromBase64(body) };
  } catch {
    return undefined;
  }
}
