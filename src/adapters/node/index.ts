export { hasUnreadBody, type ReadJsonOptions, readJson } from './read-json.js';
export {
  createRouter,
  methodNotAllowed,
  notFound,
  type RouteContext,
  type RouteHandler,
  type Router,
  sendJson,
} from './router.js';
export { parseSize } from './size.js';
export { type NodeHandler, sendError, withErrors } from './with-errors.js';
