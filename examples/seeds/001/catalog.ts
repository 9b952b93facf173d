/** The catalog and message-only envelope of page 001, and the WebSocket error event the page describes. */
import { envelope, field } from 'faultline/format';

export { errors, format } from '../../reference/001.js';

/**
 * The WebSocket error event: an `EVENT_TYPE_SYSTEM_MESSAGE` at level `SYSTEM_MESSAGE_LEVEL_ERROR` whose
 * message is the catalog's; the client's `metadata` is echoed back.
 */
export const event = envelope({
  type: 'EVENT_TYPE_SYSTEM_MESSAGE',
  id: field.eventId,
  timestamp: field.timestamp,
  system_message: { level: 'SYSTEM_MESSAGE_LEVEL_ERROR', message: field.message },
  metadata: field('echo', { path: 'metadata' }),
});
