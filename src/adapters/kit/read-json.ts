import type { IncomingMessage } from 'node:http';
import {
  type BodyLimits,
  checkJsonRequest,
  type Poisoning,
  parseJsonBytes,
  refusePoisoning,
} from '../../server/body.js';
import type { RequestView } from '../../server/request.js';
import { toRequestView } from './node-request.js';
import { keepBytes, markUnread, readNodeBody } from './read-body.js';

/**
 * Reads and parses the JSON body of a node request under the limits, raising the catalog's built-in
 * errors; the one reader of every adapter on node:http. Prototype-poisoning keys are
 * refused unless `poisoning` says otherwise (Fastify passes its server's settings).
 */
export async function readJsonBody(
  req: IncomingMessage,
  limits: BodyLimits,
  view: RequestView = toRequestView(req),
  poisoning: Poisoning = refusePoisoning,
): Promise<unknown> {
  let hasBody: boolean;
  try {
    hasBody = checkJsonRequest(view, limits);
  } catch (error) {
    markUnread(req);
    throw error;
  }
  if (!hasBody) return undefined;
  // The bytes are kept on the request: a second reader (an app-wide `json()`, then a route's) reads them
  // under its own limit instead of a drained stream. The declared length was checked above.
  const bytes = keepBytes(req, await readNodeBody(req, limits));
  return parseJsonBytes(bytes, limits.maxDepth, poisoning);
}
