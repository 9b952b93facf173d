import 'reflect-metadata';
import type { Server } from 'node:http';
import {
  Body,
  ConflictException,
  Controller,
  Get,
  HttpException,
  type INestApplication,
  InternalServerErrorException,
  Module,
  NotFoundException,
  Param,
  Post,
  UseGuards,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsString, Min, ValidateNested } from 'class-validator';
import { type Catalog, defineErrors } from 'faultline';
import { apiKey, byHeader, type Guard, rateLimit } from 'faultline/guards';
import {
  createNestErrors,
  FaultlineGuard,
  FaultlineModule,
  nestLogger,
  validationExceptionFactory,
} from 'faultline/nest';
import type { ErrorHandlerOptions } from 'faultline/server';

/**
 * Nest apps for the e2e tests, written without decorator syntax: the repository's TypeScript settings
 * (and the transpiler vitest uses) have no `experimentalDecorators`, so each decorator is applied by
 * hand, as the compiler would, and `design:paramtypes` (what `emitDecoratorMetadata` writes, and what
 * `ValidationPipe` reads) is set explicitly.
 */
type Decorator = MethodDecorator | ParameterDecorator;

export function route(
  target: { prototype: object },
  method: string,
  decorators: readonly MethodDecorator[],
  params: readonly { type: unknown; decorators: readonly ParameterDecorator[] }[] = [],
): void {
  const proto = target.prototype;
  Reflect.decorate(
    decorators as Decorator[] as MethodDecorator[],
    proto,
    method,
    Object.getOwnPropertyDescriptor(proto, method),
  );
  params.forEach((param, index) => {
    for (const decorate of param.decorators) decorate(proto, method, index);
  });
  Reflect.defineMetadata(
    'design:paramtypes',
    params.map((param) => param.type),
    proto,
    method,
  );
}

export class EchoDto {
  email!: string;
}
IsEmail()(EchoDto.prototype, 'email');

export class AddressDto {
  city!: string;
}
IsString()(AddressDto.prototype, 'city');

export class SignupDto {
  email!: string;
  age!: number;
  address!: AddressDto;
}
IsEmail()(SignupDto.prototype, 'email');
IsInt()(SignupDto.prototype, 'age');
Min(18)(SignupDto.prototype, 'age');
ValidateNested()(SignupDto.prototype, 'address');
Type(() => AddressDto)(SignupDto.prototype, 'address');

export const catalog = defineErrors(
  { SCHEMA_VALIDATION_FAILED: { status: 400, message: 'Request body failed schema validation.' } },
  { rename: { VALIDATION_FAILED: 'SCHEMA_VALIDATION_FAILED' } },
);

class AppController {
  echo(body: EchoDto) {
    return body;
  }
  signup(body: SignupDto) {
    return { email: body.email };
  }
  session(id: string) {
    throw new NotFoundException(`Session ${id.slice(0, 40)} not found`);
  }
  boom(): never {
    throw new Error('db-password-123 at /work/secret.ts:1:1');
  }
  nest500(): never {
    throw new InternalServerErrorException('db-password-123');
  }
  conflict(): never {
    throw new ConflictException();
  }
  teapot(): never {
    throw new HttpException('I am a teapot', 418);
  }
  limited() {
    return { ok: true };
  }
}
Controller()(AppController);
route(AppController, 'echo', [Post('echo')], [{ type: EchoDto, decorators: [Body()] }]);
route(
  AppController,
  'signup',
  [Post('signup'), UsePipes(new ValidationPipe({ exceptionFactory: validationExceptionFactory }))],
  [{ type: SignupDto, decorators: [Body()] }],
);
route(AppController, 'session', [Get('sessions/:id')], [{ type: String, decorators: [Param('id')] }]);
route(AppController, 'boom', [Get('boom')]);
route(AppController, 'nest500', [Get('nest-500')]);
route(AppController, 'conflict', [Get('conflict')]);
route(AppController, 'teapot', [Get('teapot')]);
route(AppController, 'limited', [
  Get('limited'),
  UseGuards(
    FaultlineGuard(
      rateLimit({ policies: [{ name: 'per-client', key: byHeader('x-client'), limit: 1, period: '1m' }] }),
    ),
  ),
]);

/** A controller guarded as a whole: an API key on every route. */
class KeysController {
  me() {
    return { key: 'ok' };
  }
}
Controller('keys')(KeysController);
UseGuards(FaultlineGuard(apiKey({ keys: ['key-1'] })))(KeysController);
route(KeysController, 'me', [Get('me')]);

/** The module's global guards by default: one request per tenant, for the requests that name one. */
function globalGuards(): Guard[] {
  return [
    rateLimit({ policies: [{ name: 'per-tenant', key: byHeader('x-tenant'), limit: 1, period: '1m' }] }),
  ];
}

/** What the apps' Nest logger received: the log lines of unexpected errors. */
export const logged: string[] = [];

export type Platform = 'express' | 'fastify';

export interface NestAppOptions {
  /** faultline's JSON reader in place of Nest's body parser (`bodyParser: false`). */
  strictJson?: boolean;
  /** Guards of the module (global). */
  guards?: Guard[];
  /** Error handler options beside the catalog. */
  handler?: ErrorHandlerOptions;
  /** Other controllers. */
  controllers?: (new (
    ...args: never[]
  ) => object)[];
  catalog?: Catalog<any>;
}

export interface NestApp {
  readonly app: INestApplication;
  readonly base: string;
  readonly server: Server;
}

/** Starts a Nest app with faultline on `platform`, listening on 127.0.0.1. */
export async function startNestApp(platform: Platform, options: NestAppOptions = {}): Promise<NestApp> {
  const logger = nestLogger({
    log() {},
    warn() {},
    error: (message: unknown) => logged.push(String(message)),
  });
  const handlerOptions = { catalog: options.catalog ?? catalog, logger, ...options.handler };
  // The module route (`FaultlineModule.forRoot`) by default; `strictJson` shows `createNestErrors`.
  const errors = options.strictJson ? createNestErrors(handlerOptions) : undefined;
  class AppModule {}
  Module({
    imports: errors
      ? []
      : [FaultlineModule.forRoot({ ...handlerOptions, guards: options.guards ?? globalGuards() })],
    controllers: options.controllers ?? [AppController, KeysController],
  })(AppModule);
  const nestOptions = { logger: false as const, bodyParser: !options.strictJson };
  let app: INestApplication;
  if (platform === 'express') {
    app = await NestFactory.create(AppModule, nestOptions);
    if (errors) {
      app.use(errors.json({ limit: '100kb' }));
      errors.serve(app);
    }
  } else {
    // `frameworkErrors`: Fastify's router refuses a malformed path before Nest sees it.
    const adapter = new FastifyAdapter({
      ...(errors ? { frameworkErrors: errors.fastify.frameworkErrors } : {}),
    });
    const fastify = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, nestOptions);
    if (errors) await fastify.register(errors.fastify as never);
    app = fastify;
  }
  if (errors) app.useGlobalFilters(errors.filter);
  app.useGlobalPipes(
    new ValidationPipe(options.strictJson ? { exceptionFactory: validationExceptionFactory } : {}),
  );
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return { app, server, base: `http://127.0.0.1:${address.port}` };
}
