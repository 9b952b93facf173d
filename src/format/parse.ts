import { invalid } from './field-definition.js';
import { fieldKeys, isRecord, type ReaderTable } from './field-readers.js';
import type { ParsedError } from './fields.js';

type Reader = (value: unknown) => unknown;
type Declared = Record<string, unknown>;

const compiled = new WeakMap<Declared, Reader>();

/** Reads one field into `out`; false when the value is present but of the wrong type for it. */
function readField(ref: Declared, value: unknown, out: ParsedError, readers: ReaderTable): boolean {
  if (value === null) return true;
  const name = ref.$field as string;
  let read = compiled.get(ref);
  if (read === undefined) {
    // The reference is its own options (`style`, `unit`, …).
    read = readers[name]!(ref) as Reader;
    compiled.set(ref, read);
  }
  const result = read(value);
  if (result === invalid) return false;
  (out as Record<string, unknown>)[fieldKeys[name] ?? name] = result;
  return true;
}

/**
 * Whether a body's value is the JSON value `literal` (the declaration's, small and trusted): walked along the
 * literal, so that a hostile value nested past the stack costs the literal's depth, never its own.
 */
function sameJson(value: unknown, literal: unknown): boolean {
  if (typeof literal !== 'object' || literal === null) return value === literal;
  if (typeof value !== 'object' || value === null || Array.isArray(value) !== Array.isArray(literal))
    return false;
  const keys = Object.keys(literal);
  if (Object.keys(value).length !== keys.length) return false;
  return keys.every(
    (key) =>
      Object.hasOwn(value, key) &&
      sameJson((value as Record<string, unknown>)[key], (literal as Record<string, unknown>)[key]),
  );
}

/**
 * Walks a body along a declaration (checked where it was made, walked as the data it is), reading its
 * fields with `readers`; returns how many members it recognised, or -1 when it does not fit.
 */
export function parseNode(node: unknown, value: unknown, out: ParsedError, readers: ReaderTable): number {
  // A literal: a JSON value, or `{ $literal: ... }`; an absent member never equals one.
  if (!isRecord(node) || '$literal' in node) {
    const literal = isRecord(node) ? node.$literal : node;
    return sameJson(value, literal) ? 2 : -1;
  }
  if (value === undefined) return 0;
  if ('$field' in node) return readField(node, value, out, readers) ? 1 : -1;
  if ('$first' in node) {
    for (const alternative of node.$first as unknown[]) {
      const scratch: ParsedError = {};
      const score = parseNode(alternative, value, scratch, readers);
      if (score > 0) {
        Object.assign(out, scratch);
        return score;
      }
    }
    return -1;
  }
  if (!isRecord(value)) return -1;
  // On equal recognition, the declaration with fewer members absent from the body fits better.
  let score = 0;
  let absent = 0;
  for (const key of Object.keys(node)) {
    if (value[key] === undefined) absent++;
    const s = parseNode(node[key], value[key], out, readers);
    if (s === -1) return -1;
    score += s;
  }
  return score > 0 ? score - absent / 100 : score;
}
