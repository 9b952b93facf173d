import type { FieldError } from '../catalog/api-error.js';
import { dotPathToPointer } from './json.js';
import type { ErrorField, FieldErrorStyle, Node } from './spec.js';
import type { ParsedError } from './types.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readFieldErrors(value: unknown, style: FieldErrorStyle): FieldError[] | undefined {
  if (style === 'map') {
    if (!isRecord(value)) return undefined;
    const errors: FieldError[] = [];
    for (const [path, message] of Object.entries(value)) {
      const detail = Array.isArray(message) ? message[0] : message;
      if (typeof detail !== 'string') return undefined;
      errors.push({ pointer: dotPathToPointer(path), detail });
    }
    return errors;
  }
  if (!Array.isArray(value)) return undefined;
  const errors: FieldError[] = [];
  for (const item of value) {
    if (!isRecord(item)) return undefined;
    if (style === 'pointer') {
      const pointer = item.pointer ?? '';
      if (typeof pointer !== 'string' || typeof item.detail !== 'string') return undefined;
      errors.push({ pointer, detail: item.detail });
    } else {
      const path = Array.isArray(item.path) ? item.path.join('.') : item.path;
      if (typeof path !== 'string' || typeof item.message !== 'string') return undefined;
      errors.push({ pointer: dotPathToPointer(path), detail: item.message });
    }
  }
  return errors;
}

const stringFields: ReadonlySet<ErrorField> = new Set([
  'code',
  'message',
  'category',
  'correlationId',
  'type',
  'title',
  'instance',
]);

/** Reads one field; false when the value is present but of the wrong type for it. */
function readField(name: ErrorField, style: FieldErrorStyle, value: unknown, out: ParsedError): boolean {
  if (value === undefined || value === null) return true;
  if (stringFields.has(name)) {
    if (typeof value !== 'string') return name === 'correlationId' && typeof value === 'number';
    (out as Record<string, unknown>)[name] = value;
    return true;
  }
  switch (name) {
    case 'status':
      if (typeof value === 'string' && /^\d{3}$/.test(value)) value = Number(value);
      if (typeof value !== 'number' || !Number.isInteger(value)) return false;
      out.status = value;
      return true;
    case 'id':
      if (typeof value === 'string' && /^\d+$/.test(value)) value = Number(value);
      if (typeof value !== 'number') return false;
      out.id = value;
      return true;
    case 'retryable':
      if (typeof value !== 'boolean') return false;
      out.retryable = value;
      return true;
    case 'errors': {
      const errors = readFieldErrors(value, style);
      if (errors === undefined) return false;
      out.fieldErrors = errors;
      return true;
    }
    default:
      out.details = value;
      return true;
  }
}

/** Walks a body along a declaration; returns how many members it recognised, or -1 when it does not fit. */
export function parseNode(node: Node, value: unknown, out: ParsedError): number {
  switch (node.kind) {
    case 'literal':
      return JSON.stringify(value) === node.json ? 2 : -1;
    case 'field':
      if (value === undefined) return 0;
      return readField(node.field, node.style, value, out) ? 1 : -1;
    case 'first': {
      if (value === undefined) return 0;
      for (const alternative of node.alternatives) {
        const scratch: ParsedError = {};
        const score = parseNode(alternative, value, scratch);
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
        const s = parseNode(member.node, child, out);
        if (s === -1) return -1;
        score += s;
      }
      return score > 0 ? score - absent / 100 : score;
    }
  }
}
