/** The catalog and nested envelope of page 002, as the reference catalog holds them. */
export { errors, format } from '../../reference/002.js';
