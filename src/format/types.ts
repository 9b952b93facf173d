import type { FieldError } from '../catalog/api-error.js';
import type { ParsedError } from './fields.js';
import type { EnvelopeSpec } from './spec.js';

export type { ParsedError };

/** What a format writes: the fields of an error as the server answers it. An ApiError is one. */
export interface ErrorView {
  readonly code: string;
  readonly status: number;
  readonly message: string;
  readonly id?: number | undefined;
  readonly category: string;
  readonly retryable: boolean;
  readonly details?: unknown;
  readonly fieldErrors?: readonly FieldError[] | undefined;
  readonly correlationId?: string | undefined;
  /** The docs URL of the code (RFC 9457 `type`). @default `urn:problem-type:<code>` */
  readonly type?: string | undefined;
  /** RFC 9457 `title`. @default the status reason phrase */
  readonly title?: string | undefined;
  /** RFC 9457 `instance`: the occurrence, usually the request path. */
  readonly instance?: string | undefined;
  /** WebSocket events: a fresh id of the error event. */
  readonly eventId?: string | undefined;
  /** WebSocket events: the id of the client event the error answers. */
  readonly replyTo?: string | number | undefined;
  /** WebSocket events: when the error happened, in epoch milliseconds. */
  readonly timestamp?: number | undefined;
  /** WebSocket events: the client's parsed event, which `echo(path)` copies from. */
  readonly event?: unknown;
  /** The wait before a retry, in seconds (the event form of `Retry-After`). */
  readonly retryAfter?: number | undefined;
  /**
   * Members the code adds at the top level of the body (`members` of its catalog entry): every format
   * writes them after its own members, and never over one of them.
   */
  readonly members?: Readonly<Record<string, unknown>> | undefined;
}

/** Whether a format's bodies carry an error's details: always, never, or in some alternatives only. */
export type DetailsCarriage = 'always' | 'never' | 'maybe';

/** A wire format of error bodies, with a serializer and a parser compiled from one declaration. */
export interface ErrorFormat<Details extends DetailsCarriage = DetailsCarriage> {
  /** A name for logs and docs, e.g. `problem+json`. */
  readonly name: string;
  /** The `Content-Type` of its bodies. */
  readonly contentType: string;
  /** The declaration it was compiled from. */
  readonly spec: EnvelopeSpec;
  /** The body of an error, as compact JSON. */
  serialize(error: ErrorView): string;
  /** The fields found in a parsed body, or `undefined` when the body is not in this format. */
  parse(body: unknown): ParsedError | undefined;
  /** How well a parsed body fits this format: 0 for not at all, more for more members recognised. */
  match(body: unknown): number;
  /** Type only: whether the bodies carry details (the client types `details` from it). */
  readonly '~details'?: Details;
}
