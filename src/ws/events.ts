import { randomBytes } from 'node:crypto';
import type { ApiError } from '../catalog/api-error.js';
import type { ErrorView } from '../format/types.js';

// Event ids: a random prefix per process and a counter, unique without a random draw per event.
const prefix = `evt_${randomBytes(6).toString('hex')}`;
let sequence = 0;

/** A fresh server event id. */
export function nextEventId(): string {
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
  return prefix + sequence.toString(36);
}

/** What an error event is built from besides the error: the message it answers, and event metadata. */
export interface EventContext {
  /** The client message being answered (parsed), for `replyTo` and `echo(path)`. */
  readonly event?: unknown;
  /** The client event's id. */
  readonly replyTo?: string | number | undefined;
  /** Seconds a client should wait before sending again. */
  readonly retryAfter?: number | undefined;
}

/** The view an event format serializes: the error's fields plus the event's own. */
export function eventView(
  error: ApiError,
  context: EventContext,
  correlationId: string | undefined,
): ErrorView {
  return {
    code: error.code,
    status: error.status,
    message: error.message,
    id: error.id,
    category: error.category,
    retryable: error.retryable,
    details: error.details,
    fieldErrors: error.fieldErrors,
    members: error.members,
    correlationId: error.correlationId ?? correlationId,
    type: error.type,
    eventId: nextEventId(),
    timestamp: Date.now(),
    replyTo: context.replyTo,
    event: context.event,
    retryAfter: context.retryAfter,
  } as ErrorView;
}
