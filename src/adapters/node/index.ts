export type { GuardOptions } from '../kit/read-body.js';
export {
  createNodeErrors,
  type NodeErrors,
  type NodeErrorsOptions,
  type NodeHandler,
  type NodeRaw,
} from './create-node-errors.js';
export { guard } from './guard.js';
export { type ReadJsonOptions, readJson } from './read-json.js';
export { createRouter, type RouteContext, type RouteHandler, type Router, sendJson } from './router.js';
