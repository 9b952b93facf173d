import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { standardErrors } from '../../catalog/standard-errors.js';
import { type ErrorHandler, type ErrorHandlerOptions, toErrorHandler } from '../../server/handle-error.js';

function send(
  errors: ErrorHandler,
  thrown: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const { status, headers, body } = errors.handle(thrown, request.raw);
  // The body is already serialized; as bytes, Fastify sends it untouched (a string would get `; charset=utf-8`
  // appended to the format's media type).
  return reply.code(status).headers(headers).send(Buffer.from(body));
}

/**
 * Creates the Fastify plugin: it installs the error and not-found handlers at the root scope (it skips
 * encapsulation, as `fastify-plugin` does), so they apply to routes of every child plugin. Fastify's own
 * errors — body limit, media type, invalid or empty JSON, route-schema validation — become catalog codes.
 * @example
 * await app.register(createFastifyErrors({ catalog }));
 */
export function createFastifyErrors(options: ErrorHandlerOptions | ErrorHandler = {}): FastifyPluginCallback {
  const errors = toErrorHandler(options);
  return Object.assign(
    (fastify: Parameters<FastifyPluginCallback>[0], _options: unknown, done: () => void) => {
      fastify.setErrorHandler((error, request, reply) => send(errors, error, request, reply));
      fastify.setNotFoundHandler((request, reply) =>
        send(errors, standardErrors.builtin('notFound'), request, reply),
      );
      done();
    },
    {
      [Symbol.for('skip-override')]: true,
      [Symbol.for('fastify.display-name')]: 'faultline',
      [Symbol.for('plugin-meta')]: { name: 'faultline', fastify: '5.x' },
    },
  );
}

/**
 * A route handler that answers the catalog's 405 with `Allow`, for the methods a path does not take.
 * @example
 * app.route({ method: ['GET', 'PUT', 'DELETE', 'PATCH'], url: '/echo', handler: methodNotAllowed(['POST']) });
 */
export function methodNotAllowed(allowed: readonly string[]): () => never {
  const allow = allowed.join(', ');
  return () => {
    throw standardErrors.builtin('methodNotAllowed', undefined, { headers: { allow } });
  };
}
