export { type WsStandardCode, wsDefinitions } from '../catalog/ws-standard.js';
export { RetryBudget, type RetryBudgetOptions } from './budget.js';
export { clientCatalog, clientCatalogJSON } from './catalog.js';
export { createClient } from './client.js';
export { type KyApiErrorOptions, kyApiErrors } from './ky.js';
export { ofetchApiErrors } from './ofetch.js';
export { type ParseErrorResponseOptions, parseErrorResponse } from './parse-response.js';
export { type ErrorResponseParts, parseErrorParts } from './read-parts.js';
export { parseRateLimitReset, parseRetryAfter } from './retry-after.js';
export {
  type ClassifiedClose,
  type CloseDecision,
  classifyClose,
  connectSocket,
  type MessageMatch,
  matchMessage,
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
