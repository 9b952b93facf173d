import type { BuiltinRole } from './standard.js';
import { categoryOf, isCatalogStatus, retryableByDefault } from './status.js';

const brand = Symbol.for('faultline.ApiError');

/** One failed field of a validation error, located by an RFC 6901 JSON Pointer into the request. */
export interface FieldError {
  /** JSON Pointer to the field, e.g. `/items/0/email`; `''` for the whole document. */
  readonly pointer: string;
  /** What is wrong with it. */
  readonly detail: string;
}

/** The fields an ApiError is made of; also its JSON form. */
export interface ApiErrorInit<Code extends string = string, Details = unknown> {
  code: Code;
  status: number;
  message: string;
  details?: Details;
  id?: number | undefined;
  category?: string | undefined;
  retryable?: boolean | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
  correlationId?: string | undefined;
  fieldErrors?: readonly FieldError[] | undefined;
  /** The docs URL of the code, also its RFC 9457 `type`. */
  type?: string | undefined;
  /** The built-in mechanism this error stands for, so a catalog can answer with its own name for it. */
  role?: BuiltinRole | undefined;
  /**
   * Members the code adds at the top level of its body (`members` of its catalog entry), from its details;
   * client side, those the body held.
   */
  members?: Readonly<Record<string, unknown>> | undefined;
  /** Client side: the wait the server asked for, in seconds (`Retry-After` or `RateLimit` `t=`). */
  retryAfter?: number | undefined;
  /** Client side: how many attempts the request took. */
  attempts?: number | undefined;
  /** Client side: the response body as received (at most 1 MiB). */
  rawBody?: string | undefined;
}

/** Options an ApiError takes besides its fields. */
export interface ApiErrorOptions {
  /** The underlying error; kept on the server for logs, never serialized. */
  cause?: unknown;
  /**
   * Whether to capture a stack trace: about a fifth of a raw error path's CPU.
   * @default true
   */
  stack?: boolean;
  /** The internal reason of a collapsed code; kept on the server for logs, never serialized. */
  reason?: string;
}

/** The JSON form of an ApiError, as `toJSON` writes it and `ApiError.fromJSON` reads it. */
export interface ApiErrorJSON {
  name: 'ApiError';
  code: string;
  status: number;
  message: string;
  details?: unknown;
  id?: number;
  category: string;
  retryable: boolean;
  headers?: Record<string, string>;
  correlationId?: string;
  fieldErrors?: FieldError[];
  type?: string;
  members?: Record<string, unknown>;
}

/**
 * An error of the catalog: a stable `code`, an HTTP `status`, a human `message` and typed `details`.
 * One identity across installed copies and realms: `instanceof` checks a `Symbol.for` brand.
 * @example
 * throw new ApiError({ code: 'SESSION_NOT_FOUND', status: 404, message: 'Session not found' });
 */
export class ApiError<
  Code extends string = string,
  Details = unknown,
  Members extends Readonly<Record<string, unknown>> | undefined =
    | Readonly<Record<string, unknown>>
    | undefined,
> extends Error {
  declare readonly [brand]: true;
  override readonly name = 'ApiError';
  // Declared, not defined: the constructor sets each, in this order, and a bundle skips the definitions.
  declare readonly code: Code;
  declare readonly status: number;
  declare readonly details: Details;
  declare readonly id: number | undefined;
  declare readonly category: string;
  declare readonly retryable: boolean;
  declare readonly headers: Readonly<Record<string, string>>;
  declare readonly fieldErrors: readonly FieldError[] | undefined;
  declare readonly type: string | undefined;
  declare readonly role: BuiltinRole | undefined;
  /** The members the code adds at the top level of its body, from its details (see `members` of an entry). */
  declare readonly members: Members;
  /** Server side: the internal reason a collapsed code stands for, for logs only; never serialized. */
  declare readonly reason: string | undefined;
  /** The correlation id of the request that failed, once known. */
  declare correlationId: string | undefined;
  /** Client side: the wait the server asked for, in seconds. */
  declare readonly retryAfter: number | undefined;
  /** Client side: how many attempts the request took. */
  declare readonly attempts: number | undefined;
  /** Client side: the response body as received (at most 1 MiB), for errors no format recognised. */
  declare readonly rawBody: string | undefined;

  constructor(init: ApiErrorInit<Code, Details>, options?: ApiErrorOptions) {
    const skipStack = options?.stack === false;
    const limit = Error.stackTraceLimit;
    if (skipStack) Error.stackTraceLimit = 0;
    try {
      super(init.message, options && 'cause' in options ? { cause: options.cause } : undefined);
    } finally {
      if (skipStack) Error.stackTraceLimit = limit;
    }
    const status = isCatalogStatus(init.status) ? init.status : 500;
    this.code = init.code;
    this.status = status;
    this.details = init.details as Details;
    this.id = init.id;
    this.category = init.category ?? categoryOf(status);
    this.retryable = init.retryable ?? retryableByDefault(status);
    this.headers = init.headers ?? emptyHeaders;
    this.fieldErrors = init.fieldErrors;
    this.type = init.type;
    this.role = init.role;
    this.members = init.members as Members;
    this.reason = options?.reason;
    this.correlationId = init.correlationId;
    this.retryAfter = init.retryAfter;
    this.attempts = init.attempts;
    this.rawBody = init.rawBody;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep the prototype check; ApiError itself accepts any copy's instances.
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class being tested against, possibly a subclass
    if (this !== ApiError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isApiError(value);
  }

  /** The JSON form: every field but `cause` and the stack, which stay on the server. */
  toJSON(): ApiErrorJSON {
    const json: Record<string, unknown> = {
      name: 'ApiError',
      code: this.code,
      status: this.status,
      message: this.message,
      category: this.category,
      retryable: this.retryable,
    };
    for (const key of optionalJSON) {
      const value: unknown = this[key];
      if (value === undefined || (key === 'headers' && Object.keys(value as object).length === 0)) continue;
      // Headers, field errors and members are copied: the JSON form never shares the error's own.
      json[key] =
        key === 'details' || typeof value !== 'object'
          ? value
          : Array.isArray(value)
            ? [...value]
            : { ...value };
    }
    return json as unknown as ApiErrorJSON;
  }

  /** Rebuilds an ApiError from its JSON form (an object or a JSON string). */
  static fromJSON(json: ApiErrorJSON | string): ApiError {
    const data = typeof json === 'string' ? (JSON.parse(json) as ApiErrorJSON) : json;
    const init: Record<string, unknown> = {
      code: String(data.code),
      status: Number(data.status),
      message: String(data.message),
      category: data.category,
      retryable: data.retryable,
    };
    for (const key of optionalJSON) init[key] = data[key];
    return new ApiError(init as unknown as ApiErrorInit, { stack: false });
  }
}

/** The members of the JSON form written only when the error has them, in their order there. */
const optionalJSON = ['details', 'id', 'headers', 'correlationId', 'fieldErrors', 'type', 'members'] as const;

// The brand lives on the prototype: every instance carries it at no cost, across copies and realms.
Object.defineProperty(ApiError.prototype, brand, { value: true });

const emptyHeaders: Readonly<Record<string, string>> = Object.freeze({});

/**
 * True when `value` is an ApiError from any copy of faultline or any realm; with `code`, of that code.
 * @example
 * if (isApiError(err, 'RATE_LIMITED')) retryLater(err.headers['retry-after']);
 */
export function isApiError<Code extends string = string>(
  value: unknown,
  code?: Code,
): value is ApiError<Code> {
  if (typeof value !== 'object' || value === null) return false;
  try {
    if ((value as { [brand]?: unknown })[brand] !== true) return false;
    return code === undefined || (value as ApiError).code === code;
  } catch {
    // A value whose reads throw (a revoked Proxy) is no error of the catalog: never a throw from a check.
    return false;
  }
}
