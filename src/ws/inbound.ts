import type { RawData } from 'ws';
import { parseJsonText, toBodyLimits } from '../server/body.js';

// The HTTP readers' default nesting bound: past it, serializers and recursive validators overflow the stack.
const maxDepth = toBodyLimits().maxDepth;

/** True for a JSON object (not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The byte length of a message as `ws` delivers it. */
export function sizeOf(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return (data as Buffer | ArrayBuffer).byteLength;
}

/** A message as one Buffer. */
export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data as ArrayBuffer);
}

/** The client's event id of a message, echoed as `replyTo`: a string or a finite number. */
export function idOf(message: unknown, field: string): string | number | undefined {
  if (!isRecord(message)) return undefined;
  const id = message[field];
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined;
}

/**
 * A text message's JSON value, read as the HTTP readers read a body: nesting past their default bound and
 * a `__proto__` key or a `constructor.prototype` are refused (it throws, as for JSON that does not parse).
 * `ws` has checked the UTF-8 of a text frame already: no second, strict decoding.
 */
export function parseMessage(data: RawData): unknown {
  const text = toBuffer(data).toString('utf8');
  // One leading BOM is dropped, as the HTTP readers' decoder drops it; a second is malformed there and here.
  return parseJsonText(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, maxDepth);
}

/** A text message's type and value: both `undefined` for one that is no JSON, the type for one with none. */
export function parseText(data: RawData, typeField: string): [type: string | undefined, message: unknown] {
  let message: unknown;
  try {
    message = parseMessage(data);
  } catch {
    return [undefined, undefined];
  }
  const type = isRecord(message) ? message[typeField] : undefined;
  return [typeof type === 'string' ? type : undefined, message];
}
