// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters JSON must escape
const needsEscape = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as a JSON string literal; skips JSON.stringify when nothing needs escaping (the common case). */
export function quote(value: string): string {
  return needsEscape.test(value) ? JSON.stringify(value) : `"${value}"`;
}

const quoted = new Map<string, string>();
const quotedLimit = 4096;

/** `quote` for strings that repeat (codes, categories, docs URLs), remembered in a bounded table. */
export function quoteCached(value: string): string {
  let json = quoted.get(value);
  if (json === undefined) {
    json = quote(value);
    if (quoted.size >= quotedLimit) quoted.clear();
    quoted.set(value, json);
  }
  return json;
}

/**
 * JSON of an arbitrary value, or `undefined` when it has none (a function, a cyclic object, a throwing
 * getter or `toJSON`, a BigInt): details the server cannot serialize are dropped, the error still answered.
 */
export function safeStringify(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** An RFC 6901 JSON Pointer from path segments. */
export function toPointer(path: readonly unknown[]): string {
  let pointer = '';
  for (const segment of path) {
    const key =
      typeof segment === 'object' && segment !== null && 'key' in segment
        ? (segment as { key: unknown }).key
        : segment;
    pointer += `/${String(typeof key === 'symbol' ? key.description : key)
      .replaceAll('~', '~0')
      .replaceAll('/', '~1')}`;
  }
  return pointer;
}

/** The segments of an RFC 6901 JSON Pointer. */
export function fromPointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return pointer === '/' ? [''] : [];
  return pointer
    .slice(pointer.startsWith('/') ? 1 : 0)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** `events.0.type` from `/events/0/type`; on the error path, so without splitting in the common case. */
export function pointerToDotPath(pointer: string): string {
  if (pointer === '') return '';
  const path = pointer.slice(pointer.startsWith('/') ? 1 : 0).replaceAll('/', '.');
  return path.includes('~') ? path.replaceAll('~1', '/').replaceAll('~0', '~') : path;
}

/** `/events/0/type` from `events.0.type` (or from `events[0].type`). */
export function dotPathToPointer(path: string): string {
  // Without toPointer, which a client need not ship: its segments here are strings.
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((s) => s !== '')
    .map((s) => `/${s.replaceAll('~', '~0').replaceAll('/', '~1')}`)
    .join('');
}
