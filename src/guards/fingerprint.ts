import { sha256, toBase64Url } from './web-crypto.js';

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

/** The text a body is fingerprinted by: its canonical JSON when it is JSON, else its text. */
function textOf(body: unknown): string {
  if (body === undefined || body === null) return '';
  // isView, not instanceof Uint8Array: bytes from another realm (a runtime's stream) are bytes too.
  if (ArrayBuffer.isView(body)) {
    // Bytes that are JSON fingerprint like the parsed body would; others by their UTF-8 text, as before.
    const text = new TextDecoder().decode(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    return jsonCanonical(text) ?? text;
  }
  if (typeof body === 'string') return jsonCanonical(body) ?? body;
  return canonical(body, 0);
}

/**
 * The fingerprint of a request payload: SHA-256 over the method, the path, and the body (its bytes, its
 * text, or the canonical JSON of a parsed body, so that key order and spacing do not matter), in
 * base64url. Asynchronous, as Web Crypto is; the value is the one earlier versions stored.
 */
export async function fingerprintOf(method: string, path: string, body: unknown): Promise<string> {
  return toBase64Url(await sha256(`${method} ${path}\n${textOf(body)}`));
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
