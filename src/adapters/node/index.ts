export type { TrustProxy } from '../../server/client-ip.js';
export type { Adapter, AdapterCore, ClientErrorListener } from '../kit/adapter.js';
export type { LingerOptions } from '../kit/linger.js';
export {
  createNodeErrors,
  type NodeErrors,
  type NodeErrorsOptions,
  type NodeHandler,
  type NodeParts,
  type NodeRaw,
} from './create-node-errors.js';
export { guard } from './guard.js';
export { type ReadJsonOptions, readJson } from './read-json.js';
export { createRouter, type RouteContext, type RouteHandler, type Router, sendJson } from './router.js';
