// ApiError is what every client error is: `instanceof ApiError` narrows one without importing the root.
export { ApiError } from '../catalog/api-error.js';
// RetryBudget stays public: `retry.budget` takes an instance, the one way to share a budget between clients.
export { RetryBudget, type RetryBudgetOptions } from './budget.js';
export { clientCatalog, clientCatalogJSON } from './catalog.js';
export { createClient } from './client.js';
export { type KyApiErrorOptions, kyApiErrors } from './ky.js';
export { ofetchApiErrors } from './ofetch.js';
export { type ParseErrorResponseOptions, parseErrorResponse } from './parse-response.js';
export { type ErrorResponseParts, parseErrorParts } from './read-parts.js';
export { RedirectionError } from './redirection.js';
export {
  type CloseDecision,
  connectSocket,
  type SocketClient,
  type SocketEvents,
  type SocketOptions,
  type SocketReconnectOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './socket-index.js';
export type {
  Client,
  ClientCatalogError,
  ClientError,
  ClientErrorOf,
  ClientIs,
  ClientOptions,
  DetailsCarriageOf,
  DetailsSeen,
  RequestOptions,
  RetryContext,
  RetryOptions,
  SafeResult,
  UnknownApiError,
  UnknownCode,
} from './types.js';
