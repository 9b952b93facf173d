/** The catalog and message-only envelope of page 003, as the reference catalog holds them. */
export { errors, format } from '../../reference/003.js';
