import { createHash } from 'node:crypto';

const maxDepth = 64;

function canonical(value: unknown, depth: number): string {
  if (depth > maxDepth) throw new RangeError('body nested too deeply to fingerprint');
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonical(item, depth + 1)).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${canonical(item, depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The fingerprint of a request payload: SHA-256 over the method, the path, and the body (its bytes, its
 * text, or the canonical JSON of a parsed body, so that key order and spacing do not matter).
 */
export function fingerprintOf(method: string, path: string, body: unknown): string {
  const hash = createHash('sha256').update(`${method} ${path}\n`);
  if (body === undefined || body === null) hash.update('');
  else if (body instanceof Uint8Array) {
    // Bytes that are JSON fingerprint like the parsed body would.
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    hash.update(jsonCanonical(text) ?? text);
  } else if (typeof body === 'string') hash.update(jsonCanonical(body) ?? body);
  else hash.update(canonical(body, 0));
  return hash.digest('base64url');
}

function jsonCanonical(text: string): string | undefined {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return canonical(JSON.parse(text), 0);
  } catch {
    return undefined;
  }
}
