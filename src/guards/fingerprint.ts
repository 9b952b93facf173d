import { sha256, toBase64Url } from './web-crypto.js';

const encoder = new TextEncoder();

// A number JSON cannot spell: a body's `1e400` parses to Infinity, which JSON.stringify would make `null`.
function scalar(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? 'null';
}

interface Open {
  readonly node: object;
  // Undefined for an array.
  readonly keys: string[] | undefined;
  next: number;
}

/**
 * Canonical JSON (sorted keys, no spacing) of a parsed body, at any depth the body's reader accepted: an
 * explicit stack, not recursion, so that no nesting overflows the call stack. A cycle (a value set by hand,
 * never a parsed one) is a TypeError, as JSON.stringify makes it.
 */
function canonical(root: unknown): string {
  const out: string[] = [];
  const open: Open[] = [];
  const ancestors = new Set<object>();
  const enter = (value: unknown) => {
    if (value === null || typeof value !== 'object') return void out.push(scalar(value));
    if (ancestors.has(value)) throw new TypeError('body has a cycle');
    ancestors.add(value);
    if (Array.isArray(value)) {
      out.push('[');
      open.push({ node: value, keys: undefined, next: 0 });
      return;
    }
    const record = value as Record<string, unknown>;
    out.push('{');
    open.push({
      node: value,
      keys: Object.keys(value)
        .filter((k) => record[k] !== undefined)
        .sort(),
      next: 0,
    });
  };
  enter(root);
  while (open.length > 0) {
    const frame = open[open.length - 1]!;
    const { node, keys } = frame;
    if (frame.next === (keys ?? (node as unknown[])).length) {
      out.push(keys ? '}' : ']');
      open.pop();
      ancestors.delete(node);
      continue;
    }
    const index = frame.next++;
    if (index > 0) out.push(',');
    if (keys === undefined) enter((node as unknown[])[index]);
    else {
      out.push(`${JSON.stringify(keys[index])}:`);
      enter((node as Record<string, unknown>)[keys[index]!]);
    }
  }
  return out.join('');
}

/**
 * What a body is fingerprinted by: the canonical JSON of a parsed body, else its text or bytes as they came.
 * Text and bytes are what their route reads (a raw or text parser, a signature check): `[1.0]` and `[1]`,
 * or one key twice, are two payloads there. A guard that reads a JSON body's bytes itself parses them first
 * (`valueOfRead`), as its route's reader will.
 */
function contentOf(body: unknown): string | Uint8Array {
  if (body === undefined || body === null) return '';
  // isView, not instanceof Uint8Array: bytes from another realm (a runtime's stream) are bytes too.
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return body;
  return canonical(body);
}

/**
 * The fingerprint of a request payload: SHA-256 over the method, the target (path and query), and the
 * body (the canonical JSON of a parsed body, so that key order and spacing do not matter, else its text or
 * bytes), in base64url. Asynchronous, as Web Crypto is; the value is the one earlier versions stored for a
 * target without a query and a parsed body.
 */
export async function fingerprintOf(method: string, target: string, body: unknown): Promise<string> {
  const content = contentOf(body);
  const head = encoder.encode(`${method} ${target}\n`);
  const tail = typeof content === 'string' ? encoder.encode(content) : content;
  const all = new Uint8Array(head.byteLength + tail.byteLength);
  all.set(head);
  all.set(tail, head.byteLength);
  return toBase64Url(await sha256(all));
}
