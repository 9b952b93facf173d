// Web Crypto and the WinterTC globals only: guards run on Node 20.19+, Workers, Deno, Bun and Vercel Edge,
// where `node:crypto` and `Buffer` are absent or behind a flag.

const encoder = new TextEncoder();

/** SHA-256 of `data` (a text's UTF-8 bytes), by `crypto.subtle`, in a promise of this realm. */
export async function sha256(data: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/**
 * True when `a` and `b` hold the same bytes. For arrays of one length (digests), in time independent of
 * where they differ: every byte is read and the differences are folded, with no early exit.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** `count` bytes from the runtime's CSPRNG. Call it in a request, not at module load: Workers forbid that. */
export function randomBytes(count: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(count));
}

/** A random v4 UUID, from the runtime's CSPRNG. */
export function randomId(): string {
  return crypto.randomUUID();
}

/** Standard base64 (with padding) of `bytes`, as `Buffer#toString('base64')` writes it. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  // In slices: an argument list of a whole megabyte would overflow the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The bytes of standard base64 `text`; throws on text that is not base64. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** URL-safe base64 without padding (RFC 4648 §5), as `Buffer#toString('base64url')` writes it. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
