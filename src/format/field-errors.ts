import type { FieldError } from '../catalog/api-error.js';
import { FaultlineConfigError } from '../catalog/config-error.js';
import type { FieldErrorStyle, FieldOptions, JsonSchema } from './field-definition.js';
import { pointerToDotPath, quote } from './json.js';
import type { ErrorView } from './types.js';

const styles: readonly FieldErrorStyle[] = ['pointer', 'path', 'map'];

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
