import type { FieldError } from './api-error.js';
import type { BuiltinRole } from './standard.js';

const brand = Symbol.for('faultline.RoleError');

/** What a mechanism raises, besides its role: the request's facts, never the catalog's text. */
export interface RoleErrorInit {
  /** Details for the answering entry's message and body. */
  readonly details?: unknown;
  /** Response headers of this answer (`Retry-After`, `RateLimit`), merged over the entry's. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** A message the API set for this mechanism (a guard's `messages`); else the entry's template. */
  readonly message?: string | undefined;
  /**
   * The mechanism's own, more precise text for this occurrence (a malformed path, an aborted body),
   * answered only while the answering entry keeps its role's standard message: a catalog's own message
   * wins, since an API whose errors are told apart by their messages documents only its own.
   */
  readonly specific?: string | undefined;
  /** One error per failed field (validation). */
  readonly fieldErrors?: readonly FieldError[] | undefined;
  /** The failure underneath (a store's error), for logs only. */
  readonly cause?: unknown;
  /**
   * The catalog code that answers instead of the role's own (a guard's `error` option). A catalog that
   * does not hold it answers its internal error, and logs why.
   */
  readonly code?: string | undefined;
}

/**
 * What faultline's mechanisms (guards, body readers, route checks, framework translators) throw: a role
 * and its facts, in no catalog yet. The error handler answering the request turns it into one `ApiError`
 * of its own catalog, under the code that claims the role, as it does for an http-errors or Boom error.
 * It is an `Error` so that every framework passes it to its error hook; its stack is never captured, as
 * a denial under attack must cost no more than its answer.
 */
export class RoleError extends Error {
  declare readonly [brand]: true;
  override readonly name = 'RoleError';
  readonly role: BuiltinRole;
  readonly details: unknown;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly fieldErrors: readonly FieldError[] | undefined;
  readonly code: string | undefined;
  /** Whether `message` was set by the API, rather than derived from the role. */
  readonly custom: boolean;
  /** Whether `message` is the mechanism's `specific` text, which a catalog's own message overrides. */
  readonly specific: boolean;

  constructor(role: BuiltinRole, init: RoleErrorInit = {}) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(init.message ?? init.specific ?? role, 'cause' in init ? { cause: init.cause } : undefined);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.role = role;
    this.details = init.details;
    this.headers = init.headers;
    this.fieldErrors = init.fieldErrors;
    this.code = init.code;
    this.custom = init.message !== undefined;
    this.specific = !this.custom && init.specific !== undefined;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    try {
      return (value as { [brand]?: unknown })[brand] === true;
    } catch {
      // A value whose reads throw (a revoked Proxy) is no descriptor: never a throw from a check.
      return false;
    }
  }

  /**
   * This error with other headers, sharing everything else: a guard prebuilds one per policy and each
   * denial costs one small object, no Error constructor. The handler recognises the shared template and
   * answers from its own prebuilt `ApiError`.
   */
  withHeaders(headers: Readonly<Record<string, string>>): RoleError {
    return over(this, 'headers', headers);
  }
}

/**
 * An object over `base` (an error) whose own `field` is `value`, sharing everything else. Assigned on the
 * fast path; defined when `base` holds the field read-only (a frozen error, which an assignment to an
 * object over it would refuse).
 */
export function over<T extends object>(base: T, field: string, value: unknown): T {
  const error = Object.create(base) as Record<string, unknown>;
  try {
    error[field] = value;
  } catch {
    Object.defineProperty(error, field, { value, writable: true, enumerable: true, configurable: true });
  }
  return error as T;
}

/**
 * `error` with its own `field` set to `value`: in place when it takes the write, else (a frozen error, a
 * prebuilt one) an object over it, leaving the error as it was thrown.
 */
export function withField<T extends object>(error: T, field: string, value: unknown): T {
  try {
    (error as Record<string, unknown>)[field] = value;
    return error;
  } catch {
    return over(error, field, value);
  }
}
Object.defineProperty(RoleError.prototype, brand, { value: true });

// One constructed descriptor per role (and named code): each raise is a small object over it, with no
// Error constructor per request, and the handler answers it from one prebuilt error of its catalog.
const bases = new Map<string, RoleError>();

function baseOf(role: BuiltinRole, code: string | undefined): RoleError {
  const key = code === undefined ? role : `${role} ${code}`;
  let base = bases.get(key);
  if (base === undefined) {
    base = new RoleError(role, { code });
    bases.set(key, base);
  }
  return base;
}

/**
 * A role descriptor with its facts: what guards, body readers and framework translators throw per
 * request. Only the facts given are its own; the rest is the role's shared descriptor.
 * @example
 * throw roleError('validationFailed', { fieldErrors });
 */
export function roleError(role: BuiltinRole, init: RoleErrorInit = {}): RoleError {
  const error = Object.create(baseOf(role, init.code)) as Record<string, unknown>;
  if (init.details !== undefined) error.details = init.details;
  if (init.headers !== undefined) error.headers = init.headers;
  if (init.fieldErrors !== undefined) error.fieldErrors = init.fieldErrors;
  if (init.message !== undefined) {
    error.message = init.message;
    error.custom = true;
  } else if (init.specific !== undefined) {
    error.message = init.specific;
    error.specific = true;
  }
  if (init.cause !== undefined) error.cause = init.cause;
  return error as unknown as RoleError;
}

/**
 * The role descriptor of a mechanism: what guards, body readers and framework translators throw.
 * @example
 * throw raise('invalidHeader', { header: 'X-App-ID' });
 */
export function raise(
  role: BuiltinRole,
  details?: unknown,
  headers?: Readonly<Record<string, string>>,
  message?: string,
): RoleError {
  return roleError(role, { details, headers, message });
}
