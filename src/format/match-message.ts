import type { ReadableCatalog } from '../catalog/readable.js';
import type { CatalogEntry } from '../catalog/types.js';

/** A message matched back to its catalog entry, with the values its placeholders held. */
export interface MessageMatch {
  readonly entry: CatalogEntry;
  /** The placeholders' values by path (`{ eventType: 'EVENT_TYPE_X' }`); undefined for a fixed message. */
  readonly details: Record<string, unknown> | undefined;
}

interface Pattern {
  readonly entry: CatalogEntry;
  /** The fixed texts around the placeholders: one more than there are placeholders. */
  readonly texts: readonly string[];
  readonly paths: readonly string[];
  /** Characters of fixed text: the most specific template wins when several match. */
  readonly fixed: number;
}

const placeholder = /\{([A-Za-z_$][\w$]*(?:\.[\w$]+)*)\}/g;
const matchers = new WeakMap<ReadableCatalog, (message: string) => MessageMatch | undefined>();

function patternOf(entry: CatalogEntry): Pattern | undefined {
  const paths = entry.template.placeholders;
  if (paths.length === 0) return undefined;
  const texts: string[] = [];
  let last = 0;
  for (const found of entry.message.matchAll(placeholder)) {
    texts.push(entry.message.slice(last, found.index));
    last = found.index + found[0].length;
  }
  texts.push(entry.message.slice(last));
  const fixed = texts.reduce((sum, text) => sum + text.length, 0);
  // A template that is all placeholders would match any text: it cannot identify a code.
  if (fixed === 0) return undefined;
  return { entry, texts, paths, fixed };
}

/**
 * The placeholders' values when `message` is an instance of the template, each the shortest non-empty text
 * after which the rest still matches (what a lazy regex would capture), found in one pass: each fixed text
 * is looked for once, at its first place after the last, since a later place leaves the rest less room. A
 * regex of several lazy groups backtracks, quadratic in a hostile message that repeats the fixed texts.
 */
function valuesOf(texts: readonly string[], message: string): string[] | undefined {
  const head = texts[0]!;
  const tail = texts[texts.length - 1]!;
  const end = message.length - tail.length;
  if (!message.startsWith(head) || !message.endsWith(tail) || end < head.length) return undefined;
  const values: string[] = [];
  let at = head.length;
  for (let i = 1; i < texts.length - 1; i++) {
    const found = message.indexOf(texts[i]!, at + 1);
    if (found === -1 || found + texts[i]!.length > end) return undefined;
    values.push(message.slice(at, found));
    at = found + texts[i]!.length;
  }
  if (end <= at) return undefined;
  values.push(message.slice(at, end));
  return values;
}

function assign(details: Record<string, unknown>, path: string, value: string): void {
  const keys = path.split('.');
  let target = details;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i]!;
    const next = target[key];
    if (typeof next === 'object' && next !== null) target = next as Record<string, unknown>;
    else target = target[key] = {};
  }
  target[keys[keys.length - 1]!] = value;
}

function compile(catalog: ReadableCatalog): (message: string) => MessageMatch | undefined {
  const patterns: Pattern[] = [];
  for (const code of catalog.codes) {
    const pattern = patternOf(catalog.entries[code] as CatalogEntry);
    if (pattern) patterns.push(pattern);
  }
  patterns.sort((a, b) => b.fixed - a.fixed);
  return (message) => {
    const exact = catalog.byMessage(message);
    if (exact) return { entry: exact, details: undefined };
    for (const pattern of patterns) {
      const values = valuesOf(pattern.texts, message);
      if (values === undefined) continue;
      const details: Record<string, unknown> = Object.create(null);
      for (let i = 0; i < pattern.paths.length; i++) assign(details, pattern.paths[i]!, values[i]!);
      return { entry: pattern.entry, details: { ...details } };
    }
    return undefined;
  };
}

/**
 * Finds the catalog entry a message stands for, for formats that carry no code: an exact message first,
 * then the message templates with their placeholders read back (`Event type not allowed: {eventType}`
 * matches `Event type not allowed: EVENT_TYPE_X` with `details.eventType`); the template with the most
 * fixed text wins. Compiled once per catalog.
 * @example
 * matchMessage(errors, 'Event type not allowed: EVENT_TYPE_X'); // { entry: EVENT_TYPE_NOT_ALLOWED, details: { eventType: 'EVENT_TYPE_X' } }
 */
export function matchMessage(catalog: ReadableCatalog, message: string): MessageMatch | undefined {
  let matcher = matchers.get(catalog);
  if (matcher === undefined) {
    matcher = compile(catalog);
    matchers.set(catalog, matcher);
  }
  return matcher(message);
}
