import type { DynamicModule } from '@nestjs/common';
import type { Guard } from '../../guards/index.js';
import type { ErrorHandlerOptions } from '../../server/index.js';
import { createNestErrors, type NestErrorsOptions, type NestRaw } from './filter.js';
import { FaultlineGuard } from './guard.js';

// The tokens of `@nestjs/core` (`APP_FILTER`, `APP_GUARD`) are these strings: the adapter imports Nest as
// types only, so that `faultline/nest` loads where Nest is not installed.
const appFilter = 'APP_FILTER';
const appGuard = 'APP_GUARD';

/** The injection token of the module's `NestErrors`: `@Inject(FAULTLINE_ERRORS) errors: NestErrors`. */
export const FAULTLINE_ERRORS: unique symbol = Symbol.for('faultline.nest.errors');

/** Options of `FaultlineModule.forRoot`: the error handler's, the platforms', and global guards. */
export interface FaultlineModuleOptions extends ErrorHandlerOptions<NestRaw>, NestErrorsOptions {
  /**
   * Guards every route of the app runs, before the guards of its controllers and routes.
   * @default []
   */
  guards?: Guard[];
}

/**
 * The faultline module: imported once in the root module, it registers the exception filter as
 * `APP_FILTER` (and `guards` as one `APP_GUARD`), and provides the `NestErrors` as `FAULTLINE_ERRORS`
 * to every module.
 * @example
 * \@Module({ imports: [FaultlineModule.forRoot({ catalog })], controllers: [UsersController] })
 * export class AppModule {}
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class; `forRoot` is Nest's idiom.
export class FaultlineModule {
  /** The module for a catalog and its options. */
  static forRoot(options: FaultlineModuleOptions = {}): DynamicModule {
    const { express, fastify, guards, ...handlerOptions } = options;
    const errors = createNestErrors(handlerOptions, {
      ...(express === undefined ? {} : { express }),
      ...(fastify === undefined ? {} : { fastify }),
    });
    const providers: NonNullable<DynamicModule['providers']> = [
      { provide: FAULTLINE_ERRORS, useValue: errors },
      { provide: appFilter, useValue: errors.filter },
    ];
    if (guards !== undefined && guards.length > 0)
      providers.push({ provide: appGuard, useValue: FaultlineGuard(...guards) });
    return { module: FaultlineModule, global: true, providers, exports: [FAULTLINE_ERRORS] };
  }
}
