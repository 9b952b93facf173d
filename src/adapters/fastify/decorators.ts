import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Catalog, CreateArgs, Definitions } from '../../catalog/types.js';
import type { ErrorHandler } from '../../server/handle-error.js';

/**
 * Types the decorators with your catalog: augment it once, and `reply.apiError` takes only its codes,
 * with details required exactly when the code's schema requires them.
 * @example
 * declare module 'faultline/fastify' {
 *   interface FastifyErrorsRegister { catalog: typeof catalog }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: an interface users augment by declaration merging
export interface FastifyErrorsRegister {}

/** The definitions of the registered catalog, or any code when none is registered. */
export type RegisteredDefinitions = FastifyErrorsRegister extends { catalog: Catalog<infer Defs> }
  ? Defs
  : Definitions;

/** Answers the catalog error of `code` on this reply, for the catalog of definitions `Defs`. */
export type ApiErrorReply<Defs> = <Code extends keyof Defs & string>(
  code: Code,
  ...args: CreateArgs<Defs[Code]>
) => FastifyReply;

/** `reply.apiError`: typed by the registered catalog (see `FastifyErrorsRegister`). */
export type ReplyApiError = ApiErrorReply<RegisteredDefinitions>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The error handler of `createFastifyErrors`: its catalog, `handle`, `normalize` and `render`. */
    errors: ErrorHandler;
  }
  interface FastifyReply {
    /**
     * Answers the catalog error of `code`, as if it had been thrown: same format, headers and hooks.
     * @example
     * return reply.apiError('ROOM_FULL');
     */
    apiError: ReplyApiError;
  }
}

type Send = (thrown: unknown, reply: FastifyReply) => FastifyReply;

/** Decorates the instance with `errors` and the reply with `apiError`. */
export function decorate(fastify: FastifyInstance, errors: ErrorHandler, send: Send): void {
  fastify.decorate('errors', errors);
  fastify.decorateReply('apiError', function apiError(this: FastifyReply, code: string, ...args: unknown[]) {
    const create = errors.catalog.create as (code: string, ...rest: unknown[]) => unknown;
    return send(create(code, ...args), this);
  } as ReplyApiError);
}
