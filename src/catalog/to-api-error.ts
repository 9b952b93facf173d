import { ApiError, type ApiErrorOptions } from './api-error.js';
import type { CatalogEntry, CreateOptions } from './types.js';

/** Options of `toApiError`: those of `catalog.create`, plus the status and the stack. */
export interface ToApiErrorOptions extends CreateOptions {
  /**
   * Answers the entry's code under another status; category and retryable then follow that status.
   * @default the entry's status
   */
  status?: number;
  /**
   * Whether to capture a stack trace.
   * @default true for a 5xx status, false otherwise
   */
  stack?: boolean;
}

/**
 * Builds the ApiError of a catalog entry: the one place an entry's fields become an error's. Its message is
 * the entry's template rendered over `details`; `options.headers` are merged over the entry's. `status` and
 * `stack`, when given, win over those of `options`. A collapsed
 * code (`collapses`) answers alike every time: only its reason and cause, both server side, vary.
 * @example
 * const error = toApiError(catalog.get('SESSION_NOT_FOUND')!, { sessionId: 's1' }, { correlationId });
 */
export function toApiError(
  entry: CatalogEntry,
  details?: unknown,
  options?: ToApiErrorOptions,
  // Apart from `options`, so that a caller never spreads them into a new object (a slow shape) per error.
  status: number = options?.status ?? entry.status,
  stack: boolean = options?.stack ?? status >= 500,
): ApiError {
  const own = status === entry.status;
  // A collapsed code answers alike for every reason: only the reason and the cause (both server side)
  // differ. An undeclared reason is not refused: refusing at request time would answer a 500, itself an
  // oracle; the types hold callers to the declared list.
  const collapsed = entry.collapses !== undefined;
  const errorOptions: ApiErrorOptions = { stack };
  if (options?.cause !== undefined) errorOptions.cause = options.cause;
  if (collapsed && options?.reason !== undefined) errorOptions.reason = options.reason;
  return new ApiError(
    {
      code: entry.code,
      status,
      message: collapsed ? entry.message : (options?.message ?? entry.template.render(details)),
      details: collapsed ? undefined : details,
      id: entry.id,
      category: own ? entry.category : undefined,
      retryable: own ? entry.retryable : undefined,
      headers: options?.headers && !collapsed ? { ...entry.headers, ...options.headers } : entry.headers,
      correlationId: options?.correlationId,
      fieldErrors: collapsed ? undefined : options?.fieldErrors,
      type: entry.type,
      // The entry's role stands for its own status only: a 502 under the internal code is not that mechanism.
      role: own ? entry.role : undefined,
      members: collapsed || entry.members === undefined ? undefined : membersOf(entry.members, details),
    },
    errorOptions,
  );
}

/** The members an entry lifts out of its details, or `undefined` when the details hold none of them. */
export function membersOf(
  members: Readonly<Record<string, string>>,
  details: unknown,
): Readonly<Record<string, unknown>> | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  let values: Record<string, unknown> | undefined;
  for (const name in members) {
    const value = (details as Record<string, unknown>)[members[name]!];
    if (value === undefined) continue;
    values ??= {};
    values[name] = value;
  }
  return values;
}
