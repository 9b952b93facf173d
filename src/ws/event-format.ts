import { envelope } from '../format/envelope.js';
import { type EnvelopeSpec, field } from '../format/spec.js';
import type { ErrorFormat } from '../format/types.js';

// The WebSocket references of the field table (eventId, replyTo, timestamp, echo, retryAfter).
const refs = field as unknown as Record<string, unknown>;

function member(key: string, name: string): Record<string, unknown> {
  return refs[name] === undefined ? {} : { [key]: refs[name] };
}

/**
 * The default error event (declare another with `envelope` of faultline/format, whose declarations may
 * also reference the event fields `eventId`, `replyTo`, `timestamp`, `echo` and `retryAfter`): `{ type: 'error', event_id, error: { code, message, status, details, errors,
 * correlation_id, reply_to, retry_after } }` (OpenAI Realtime's shape, with the catalog's fields).
 * @example
 * createWsErrors({ errors, event: wsEvent });
 */
export const wsEvent: ErrorFormat = envelope(
  {
    type: 'error',
    ...member('event_id', 'eventId'),
    ...member('timestamp', 'timestamp'),
    error: {
      code: field.code,
      message: field.message,
      status: field.status,
      details: field.details,
      errors: field.errors,
      correlation_id: field.correlationId,
      ...member('reply_to', 'replyTo'),
      ...member('retry_after', 'retryAfter'),
    },
  } as EnvelopeSpec,
  { name: 'ws-event' },
);
