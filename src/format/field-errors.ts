import type { FieldError } from '../catalog/api-error.js';
import { FaultlineConfigError } from '../catalog/config-error.js';
import { type FieldErrorStyle, type FieldOptions, invalid, type JsonSchema } from './field-definition.js';
import { dotPathToPointer, pointerToDotPath, quote } from './json.js';
import type { ErrorView } from './types.js';

const styles: readonly FieldErrorStyle[] = ['pointer', 'path', 'map'];

/** Field errors of a body member in one style, or `invalid` when the member is not in that style. */
export function readFieldErrors(value: unknown, style: FieldErrorStyle): FieldError[] | typeof invalid {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const errors: FieldError[] = [];
  if (style === 'map') {
    if (!isRecord(value)) return invalid;
    for (const [path, message] of Object.entries(value)) {
      const detail = Array.isArray(message) ? message[0] : message;
      if (typeof detail !== 'string') return invalid;
      errors.push({ pointer: dotPathToPointer(path), detail });
    }
    return errors;
  }
  if (!Array.isArray(value)) return invalid;
  for (const item of value) {
    if (!isRecord(item)) return invalid;
    if (style === 'pointer') {
      const pointer = item.pointer ?? '';
      if (typeof pointer !== 'string' || typeof item.detail !== 'string') return invalid;
      errors.push({ pointer, detail: item.detail });
    } else {
      const path = Array.isArray(item.path) ? item.path.join('.') : item.path;
      if (typeof path !== 'string' || typeof item.message !== 'string') return invalid;
      errors.push({ pointer: dotPathToPointer(path), detail: item.message });
    }
  }
  return errors;
}

/** The writer of field errors in one style. */
export function fieldErrorsWriter(style: FieldErrorStyle): (view: ErrorView) => string | undefined {
  const item =
    style === 'pointer'
      ? (e: FieldError) => `{"pointer":${quote(e.pointer)},"detail":${quote(e.detail)}}`
      : style === 'path'
        ? (e: FieldError) => `{"path":${quote(pointerToDotPath(e.pointer))},"message":${quote(e.detail)}}`
        : (e: FieldError) => `${quote(pointerToDotPath(e.pointer))}:${quote(e.detail)}`;
  const open = style === 'map' ? '{' : '[';
  const close = style === 'map' ? '}' : ']';
  return (view) => {
    const errors = view.fieldErrors;
    if (errors === undefined || errors.length === 0) return undefined;
    let json = open + item(errors[0]!);
    for (let i = 1; i < errors.length; i++) json += `,${item(errors[i]!)}`;
    return json + close;
  };
}

/** The JSON Schema of field errors in one style. */
export function fieldErrorsSchema(style: FieldErrorStyle): JsonSchema {
  if (style === 'map') return { type: 'object', additionalProperties: { type: 'string' } };
  const [where, what] = style === 'path' ? ['path', 'message'] : ['pointer', 'detail'];
  return {
    type: 'array',
    items: {
      type: 'object',
      properties: { [where]: { type: 'string' }, [what]: { type: 'string' } },
      required: [where, what],
    },
  };
}

/** Rejects a style the writer does not know, when the format is declared. */
export function checkStyle(options: FieldOptions, path: string): void {
  if (options.style !== undefined && !styles.includes(options.style))
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_FORMAT',
      `${path}: unknown style ${String(options.style)}`,
    );
}
