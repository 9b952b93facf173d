export {
  createFastifyErrors,
  type FastifyErrorsOptions,
  type FastifyErrorsPlugin,
  type FastifyRaw,
} from './create-fastify-errors.js';
export type {
  ApiErrorReply,
  FastifyErrorsRegister,
  RegisteredDefinitions,
} from './decorators.js';
export { guard } from './guard.js';
