import type { Request, Response } from 'express';
import type { RequestView, WritableView } from '../../server/request.js';

import { requestLogOf, toRequestView as toNodeView } from '../kit/node-request.js';

/** What `onError` gets as `event.raw` on Express. */
export interface ExpressRaw {
  readonly req: Request;
  readonly res: Response;
}

/** The request view of an Express request: node's, with Express's `req.ip` (which honours `trust proxy`). */
export function toRequestView(req: Request): RequestView {
  const view = toNodeView(req);
  let ip: string | undefined;
  try {
    ip = req.ip;
  } catch {
    ip = view.ip;
  }
  return {
    method: view.method,
    url: req.originalUrl ?? view.url,
    headers: view.headers,
    ip: ip ?? view.ip,
    requestId: view.requestId,
  };
}

/** The view of a request being answered: with pino-http's `req.log`, and `{ req, res }` for `onError`. */
export function toAnswerView(req: Request, res: Response): RequestView {
  // Fields set on the fresh view, not spread into another object: this runs for every error answer.
  const view: WritableView = toRequestView(req);
  view.log = requestLogOf(req);
  view.raw = { req, res } satisfies ExpressRaw;
  return view;
}
