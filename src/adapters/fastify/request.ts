import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorLogger } from '../../server/log.js';
import type { RequestView, WritableView } from '../../server/request.js';

/** What `onError` gets as `event.raw` on Fastify. */
export interface FastifyRaw {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

/** The request view of a Fastify request: its method, URL, raw headers, `request.ip` and `request.id`. */
export function toRequestView(request: FastifyRequest): RequestView {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    ip: request.ip,
    requestId: request.id,
  };
}

/**
 * The view of a request being answered: with `request.log` when Fastify's logger is on (a disabled
 * logger has no level, and the error would go unlogged), and the request and reply for `onError`.
 */
export function toAnswerView(request: FastifyRequest, reply: FastifyReply): RequestView {
  const log = request.log as ErrorLogger & { level?: unknown };
  // Fields set on the fresh view, not spread into another object: this runs for every error answer.
  const view: WritableView = toRequestView(request);
  view.log = typeof log.level === 'string' ? log : undefined;
  view.raw = { request, reply } satisfies FastifyRaw;
  return view;
}
