/** The catalog and envelope of page 004, as the reference catalog holds them. */
export { errors, format } from '../../reference/004.js';
