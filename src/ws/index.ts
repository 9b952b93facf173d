export { closeCodeKind, type ResolvedWsBehaviour, wsBehaviourOf } from '../catalog/ws-codes.js';
export { type WsStandardCode, wsDefinitions } from '../catalog/ws-standard.js';
export type {
  CloseCodeDefinition,
  CloseCodeInfo,
  ReconnectAdvice,
  WsBehaviour,
  WsRole,
} from '../catalog/ws-types.js';
export type { TrustProxy } from '../server/client-ip.js';
export { safeClose, safeTerminate } from './close.js';
export { createWsErrors } from './endpoint.js';
export type { ErrorEventOptions } from './error-budget.js';
export { wsEnvelope, wsEvent } from './event-format.js';
export type { EventContext } from './events.js';
export {
  bySession,
  type ConnectionLimitOptions,
  type DropInfo,
  type MessageRateOptions,
  type OverRateAction,
} from './limits.js';
export { clampReason, maxReasonBytes } from './reason.js';
export type {
  Admission,
  MessageHandler,
  MessageOptions,
  WsConnection,
  WsErrors,
  WsErrorsOptions,
  WsLimits,
} from './types.js';
