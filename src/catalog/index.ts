// The catalog's internal entry: what the root entry (src/index.ts) publishes, and nothing else. Code in
// src/ that needs more of the catalog imports the module that holds it.
export {
  ApiError,
  type ApiErrorInit,
  type ApiErrorJSON,
  type ApiErrorOptions,
  type FieldError,
  isApiError,
} from './api-error.js';
export { type ConfigErrorCode, FaultlineConfigError } from './config-error.js';
export { type DefinedCatalog, defineErrors } from './define-errors.js';
export { RoleError, type RoleErrorInit, raise } from './role-error.js';
export type { BuiltinRole, StandardCode } from './standard.js';
export { standardErrors } from './standard-errors.js';
export type { Category } from './status.js';
export type {
  Catalog,
  CatalogDefinitions,
  CatalogEntry,
  CatalogEntryJSON,
  CatalogError,
  CatalogJSON,
  CatalogOptions,
  CodeOf,
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
