import type { ApiError } from '../catalog/api-error.js';
import type { Catalog, StandardSchemaV1 } from '../catalog/types.js';
import type { ErrorFormat } from '../format/types.js';
import type { ErrorHandler } from '../server/handle-error.js';
import { compileErrorBudget, type ErrorBudgetSettings } from './error-budget.js';
import { wsEvent } from './event-format.js';
import { createMessageLimiter, type DropInfo, type MessageLimiter, type OverRateAction } from './limits.js';
import type { MessageHandler, WsConnection, WsErrorsOptions } from './types.js';

/** Everything a connection shares with its endpoint, compiled once. */
export interface EndpointState {
  readonly catalog: Catalog<any>;
  readonly handler: ErrorHandler;
  readonly event: ErrorFormat;
  readonly maxBytes: number;
  readonly typeField: string;
  readonly idField: string;
  readonly schemas: Readonly<Record<string, StandardSchemaV1>>;
  readonly serverOnly: ReadonlySet<string>;
  readonly on: Readonly<Record<string, MessageHandler<any>>>;
  readonly acceptBinary: boolean;
  readonly binary: ((data: Buffer, conn: WsConnection<any>) => unknown) | undefined;
  readonly sessionEnd: string;
  readonly limiter: MessageLimiter | undefined;
  readonly over: OverRateAction;
  readonly closeAfter: number;
  readonly exempt: ReadonlySet<string>;
  /** The budget of error events per connection; undefined when it is off. */
  readonly errorBudget: ErrorBudgetSettings | undefined;
  /** The budget holds only for exempt types and server failures: the rate bounds the events of the rest. */
  readonly budgetExemptOnly: boolean;
  /** The soft bound of a send buffer: application messages stop here. */
  readonly maxBuffered: number;
  /** The hard bound: error events stop here, and a socket past it is terminated. */
  readonly hardBuffered: number;
  readonly slowAction: 'drop' | 'close';
  readonly idleTimeout: number | undefined;
  readonly maxDuration: number | undefined;
  readonly onDrop: ((info: DropInfo) => unknown) | undefined;
  readonly onError:
    | ((event: { error: ApiError; thrown: unknown; conn: WsConnection<any> | undefined }) => unknown)
    | undefined;
}

const defaultSessionEnd = JSON.stringify({ type: 'session_end' });

/** Compiles the options of an endpoint into the state its connections share. */
export function compileState<C>(options: WsErrorsOptions<C>, handler: ErrorHandler): EndpointState {
  const limits = options.limits ?? {};
  const messages = options.messages ?? {};
  const rate = limits.rate;
  const maxBuffered = limits.backpressure?.maxBufferedBytes ?? 1024 * 1024;
  return {
    catalog: handler.catalog,
    handler,
    event: options.event ?? wsEvent,
    maxBytes: messages.maxBytes ?? 64 * 1024,
    typeField: messages.typeField ?? 'type',
    idField: messages.idField ?? 'id',
    schemas: messages.schemas ?? {},
    serverOnly: new Set(messages.serverOnly ?? []),
    on: options.on ?? {},
    acceptBinary: messages.binary === 'accept',
    binary: options.binary as EndpointState['binary'],
    sessionEnd: messages.sessionEnd ? JSON.stringify(messages.sessionEnd) : defaultSessionEnd,
    limiter: rate ? createMessageLimiter(rate) : undefined,
    over: rate?.over ?? 'drop',
    closeAfter: rate?.closeAfter ?? Number.POSITIVE_INFINITY,
    exempt: new Set(rate?.exempt ?? []),
    // The rate bounds the events of the messages it counts; those of types it never counts, and server
    // failures (the rate fails open while its store does), keep a budget.
    errorBudget: compileErrorBudget(limits.errorEvents),
    budgetExemptOnly: rate !== undefined && limits.errorEvents === undefined,
    maxBuffered,
    hardBuffered: 2 * maxBuffered,
    slowAction: limits.backpressure?.action ?? 'close',
    idleTimeout: limits.idleTimeout,
    maxDuration: limits.maxDuration,
    onDrop: options.onDrop,
    onError: options.onError as EndpointState['onError'],
  };
}
