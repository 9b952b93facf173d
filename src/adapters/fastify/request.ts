import type { FastifyRequest } from 'fastify';
import type { RequestView } from '../../server/request.js';

/** The request view of a Fastify request: its method, URL, raw headers and `request.ip`. */
export function toRequestView(request: FastifyRequest): RequestView {
  return { method: request.method, url: request.url, headers: request.headers, ip: request.ip };
}
