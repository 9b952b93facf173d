export {
  ApiError,
  type ApiErrorInit,
  type ApiErrorJSON,
  type ApiErrorOptions,
  type FieldError,
  isApiError,
} from './api-error.js';
export { type ConfigErrorCode, configErrors, FaultlineConfigError } from './config-error.js';
export { defineErrors } from './define-errors.js';
export { compileMessage, type MessageTemplate } from './message.js';
export { RoleError, type RoleErrorInit, raise } from './role-error.js';
export {
  type BuiltinRole,
  roleHeaders,
  roleOfStatus,
  type StandardCode,
  standardDefinitions,
} from './standard.js';
export { standardErrors } from './standard-errors.js';
export {
  type Category,
  categories,
  categoryOf,
  isCatalogStatus,
  isErrorStatus,
  reasonPhrase,
  retryableByDefault,
  statusText,
} from './status.js';
export { type ToApiErrorOptions, toApiError } from './to-api-error.js';
export type {
  Catalog,
  CatalogDefinitions,
  CatalogEntry,
  CatalogEntryJSON,
  CatalogError,
  CatalogJSON,
  CatalogOptions,
  CheckedMembers,
  CodeOf,
  CreateArgs,
  CreateOptions,
  Definitions,
  DetailsOf,
  ErrorDefinition,
  ErrorOf,
  GroupInfo,
  MembersOf,
  Renames,
  StackPolicy,
  StandardSchemaV1,
} from './types.js';
export { type WsStandardCode, wsDefinitions } from './ws-standard.js';
