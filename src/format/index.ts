export {
  bareEnvelope,
  codeEnvelope,
  commonFormats,
  errorObjectEnvelope,
  flatEnvelope,
  messageEnvelope,
  nestedEnvelope,
} from './common.js';
export { detectFormat, type ParseErrorBodyOptions, parseErrorBody } from './detect.js';
export { type EnvelopeOptions, envelope } from './envelope.js';
export {
  type ChangeKind,
  type ErrorField,
  errorFields,
  type FieldDefinition,
  type FieldErrorStyle,
  type FieldOptions,
  type JsonSchema,
} from './fields.js';
export { problemJson } from './problem-json.js';
export {
  type EnvelopeNode,
  type EnvelopeSpec,
  echo,
  type FieldPlacement,
  type FieldRef,
  type FirstOf,
  field,
  fieldErrors,
  fieldsOf,
  first,
  type Literal,
  literal,
  orNull,
  retryAfter,
  timestamp,
} from './spec.js';
export type { DetailsCarriage, ErrorFormat, ErrorView, ParsedError } from './types.js';
