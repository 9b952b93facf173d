import { invalid } from './field-definition.js';
import { fieldKeys, type ReaderTable } from './field-readers.js';
import type { ParsedError } from './fields.js';
import type { Node } from './spec-node.js';

type FieldNode = Extract<Node, { kind: 'field' }>;
type Reader = (value: unknown) => unknown;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const compiled = new WeakMap<FieldNode, Reader>();

/** Reads one field into `out`; false when the value is present but of the wrong type for it. */
function readField(node: FieldNode, value: unknown, out: ParsedError, readers: ReaderTable): boolean {
  if (value === null) return true;
  let read = compiled.get(node);
  if (read === undefined) {
    read = readers[node.field]!(node.options) as Reader;
    compiled.set(node, read);
  }
  const result = read(value);
  if (result === invalid) return false;
  (out as Record<string, unknown>)[fieldKeys[node.field] ?? node.field] = result;
  return true;
}

/** Walks a body along a declaration, reading its fields with `readers`; returns how many members it recognised, or -1 when it does not fit. */
export function parseNode(node: Node, value: unknown, out: ParsedError, readers: ReaderTable): number {
  switch (node.kind) {
    case 'literal':
      return JSON.stringify(value) === node.json ? 2 : -1;
    case 'field':
      if (value === undefined) return 0;
      return readField(node, value, out, readers) ? 1 : -1;
    case 'first': {
      if (value === undefined) return 0;
      for (const alternative of node.alternatives) {
        const scratch: ParsedError = {};
        const score = parseNode(alternative, value, scratch, readers);
        if (score > 0) {
          Object.assign(out, scratch);
          return score;
        }
      }
      return -1;
    }
    case 'object': {
      if (!isRecord(value)) return value === undefined ? 0 : -1;
      // On equal recognition, the declaration with fewer members absent from the body fits better.
      let score = 0;
      let absent = 0;
      for (const member of node.members) {
        const child = value[member.key];
        if (child === undefined) {
          if (member.node.kind === 'literal') return -1;
          absent++;
        }
        const s = parseNode(member.node, child, out, readers);
        if (s === -1) return -1;
        score += s;
      }
      return score > 0 ? score - absent / 100 : score;
    }
  }
}
