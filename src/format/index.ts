export { commonFormats } from './common.js';
export { type ParseErrorBodyOptions, parseErrorBody } from './detect.js';
export { type EnvelopeOptions, envelope } from './envelope.js';
export type { ErrorField, FieldErrorStyle, FieldOptions } from './fields.js';
export { problemJson } from './problem-json.js';
export {
  type EnvelopeNode,
  type EnvelopeSpec,
  echo,
  type FieldRef,
  type FirstOf,
  field,
  fieldErrors,
  first,
  type Literal,
  literal,
  orNull,
  retryAfter,
  timestamp,
} from './spec.js';
export type { DetailsCarriage, ErrorFormat, ErrorView, ParsedError } from './types.js';
