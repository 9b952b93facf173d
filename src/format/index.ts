export { commonFormats } from './common.js';
export { type EnvelopeOptions, envelope } from './envelope.js';
export type { ErrorField, FieldErrorStyle, FieldOptions } from './fields.js';
export {
  type EnvelopeNode,
  type EnvelopeSpec,
  type Field,
  type FieldRef,
  type FirstOf,
  field,
  type Literal,
} from './spec.js';
export type { DetailsCarriage, ErrorFormat, ErrorView, ParsedError } from './types.js';
