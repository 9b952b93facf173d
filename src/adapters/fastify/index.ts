export { createFastifyErrors, type FastifyErrorsOptions } from './create-fastify-errors.js';
