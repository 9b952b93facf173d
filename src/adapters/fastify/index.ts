export { createFastifyErrors, type FastifyErrorsOptions } from './create-fastify-errors.js';
export { guard } from './guard.js';
