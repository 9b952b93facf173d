import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createExpressErrors } from 'faultline/express';
import { createFastifyErrors } from 'faultline/fastify';
import { createHonoErrors } from 'faultline/hono';
import { createNodeErrors } from 'faultline/node';
import type { Context } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';

describe('onError event.raw', () => {
  it('is typed per adapter', () => {
    createFastifyErrors({
      onError: (event) => {
        expectTypeOf(event.raw).toEqualTypeOf<
          { readonly request: FastifyRequest; readonly reply: FastifyReply } | undefined
        >();
      },
    });
    createExpressErrors({
      onError: (event) => {
        expectTypeOf(event.raw).toEqualTypeOf<
          { readonly req: Request; readonly res: Response } | undefined
        >();
      },
    });
    createNodeErrors({
      onError: (event) => {
        expectTypeOf(event.raw).toEqualTypeOf<
          { readonly req: IncomingMessage; readonly res: ServerResponse } | undefined
        >();
      },
    });
    createHonoErrors({
      onError: (event) => {
        expectTypeOf(event.raw).toEqualTypeOf<{ readonly context: Context } | undefined>();
      },
    });
  });
});
