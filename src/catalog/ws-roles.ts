import type { HttpRole } from './standard.js';
import type { WsRole } from './ws-types.js';

/** The WebSocket layer's mechanisms, in the order the reference page lists them. */
export const wsRoles: readonly WsRole[] = Object.freeze([
  'messageMalformed',
  'messageTypeUnknown',
  'messageTypeNotAllowed',
  'messageInvalid',
  'messageTooLarge',
  'messageUnsupported',
  'messageRateLimited',
  'connectionLimit',
  'upgradeRequired',
  'handshakeInvalid',
  'idleTimeout',
  'heartbeatTimeout',
  'sessionExpired',
  'slowConsumer',
  'goingAway',
  'serviceRestart',
] as const);

/**
 * The HTTP role of the same meaning that answers a WebSocket mechanism no entry of the catalog claims, so
 * that every code a client sees is in its catalog and on its page. Close codes still follow the
 * mechanism (1001 going away, 1012 restart, 1009 too large), not the twin.
 */
export const wsTwins = Object.freeze({
  messageMalformed: 'malformedJson',
  messageTypeUnknown: 'badRequest',
  messageTypeNotAllowed: 'badRequest',
  messageInvalid: 'validationFailed',
  messageTooLarge: 'bodyTooLarge',
  messageUnsupported: 'unsupportedMediaType',
  messageRateLimited: 'rateLimited',
  connectionLimit: 'concurrencyLimited',
  upgradeRequired: 'badRequest',
  handshakeInvalid: 'badRequest',
  idleTimeout: 'requestTimeout',
  heartbeatTimeout: 'requestTimeout',
  sessionExpired: 'unauthorized',
  slowConsumer: 'serviceUnavailable',
  goingAway: 'serviceUnavailable',
  serviceRestart: 'serviceUnavailable',
} as const satisfies Record<WsRole, HttpRole>);

/** The HTTP role that answers each WebSocket mechanism no entry claims, as a type. */
export type WsTwins = typeof wsTwins;
