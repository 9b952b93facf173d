// The core adapter kit: what every adapter of faultline is built on. Internal to the adapters (no
// public entry point); each adapter keeps only the glue to its framework.
export {
  type Adapter,
  type AdapterCore,
  type ClientErrorListener,
  coreOf,
  createKit,
  type Kit,
  type KitOptions,
} from './adapter.js';
export { clientErrorListener } from './client-error.js';
export { isLingering, type LingerBounds, type LingerOptions, linger, toLingerBounds } from './linger.js';
export { answerBody, probeMethods, takesMethod } from './methods.js';
export {
  clientIpOf,
  keepTrust,
  type NodeRaw,
  RawHeaders,
  requestLogOf,
  toAnswerView,
  toRequestView,
} from './node-request.js';
export { hasUnreadBody, markUnread, readAndKeepBody, readNodeBody } from './read-body.js';
export { readJsonBody } from './read-json.js';
export { read, safely } from './safe.js';
export { closeAfter, mustClose, sendError, writeAnswer } from './sink.js';
