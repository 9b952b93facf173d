import type { Request } from 'express';
import type { RequestView } from '../../server/request.js';
import { toRequestView as toNodeView } from '../node/request.js';

/** The request view of an Express request: node's, with Express's `req.ip` (which honours `trust proxy`). */
export function toRequestView(req: Request): RequestView {
  const view = toNodeView(req);
  let ip: string | undefined;
  try {
    ip = req.ip;
  } catch {
    ip = view.ip;
  }
  return { method: view.method, url: req.originalUrl ?? view.url, headers: view.headers, ip: ip ?? view.ip };
}
