/** The catalog, envelope and correlation settings of page 000, as the reference catalog holds them. */
export { errors, format, server as settings } from '../../reference/000.js';
