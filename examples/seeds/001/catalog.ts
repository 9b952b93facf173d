/** The catalog, message-only envelope and WebSocket event of page 001, as the reference catalog holds them. */
export { errors, event, format } from '../../reference/001.js';
