export {
  createFastifyErrors,
  type FastifyErrorsOptions,
  type FastifyRaw,
} from './create-fastify-errors.js';
export { guard } from './guard.js';
