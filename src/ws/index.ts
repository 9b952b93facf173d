// wsBehaviourOf stays public: it is how code outside the endpoint (a contract test, a client in another
// language's generator) learns the close code and advice an entry gets once defaults are derived.
export { type ResolvedWsBehaviour, wsBehaviourOf } from '../catalog/ws-codes.js';
export type {
  CloseCodeDefinition,
  CloseCodeInfo,
  ReconnectAdvice,
  WsBehaviour,
  WsRole,
} from '../catalog/ws-types.js';
export { createWsErrors } from './endpoint.js';
export type { ErrorEventOptions } from './error-budget.js';
export { wsEvent } from './event-format.js';
export {
  bySession,
  type ConnectionLimitOptions,
  type DropInfo,
  type MessageRateOptions,
  type OverRateAction,
} from './limits.js';
export type {
  Admission,
  MessageHandler,
  MessageOptions,
  WsConnection,
  WsErrors,
  WsErrorsOptions,
  WsLimits,
} from './types.js';
