export { createNodeErrors, type NodeErrors, type NodeHandler } from './create-node-errors.js';
export { type ReadJsonOptions, readJson } from './read-json.js';
export { createRouter, type RouteContext, type RouteHandler, type Router, sendJson } from './router.js';
