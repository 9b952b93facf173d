import { ApiError, type ApiErrorInit } from '../catalog/api-error.js';
import { roleOfStatus } from '../catalog/standard.js';
import { standardErrors } from '../catalog/standard-errors.js';
import { isErrorStatus, reasonPhrase } from '../catalog/status.js';
import type { Catalog, CatalogEntry } from '../catalog/types.js';
import { commonFormats } from './common.js';
import { fieldList } from './fields.js';
import { matchMessage } from './match-message.js';
import type { ErrorFormat, ParsedError } from './types.js';

/** Options of `parseErrorBody`. */
export interface ParseErrorBodyOptions {
  /**
   * The formats to try; on equal fit, the earlier wins.
   * @default commonFormats
   */
  formats?: readonly ErrorFormat[];
  /** The response status, used when the body does not carry one. */
  status?: number;
  /** The API's catalog: fills in what the body leaves out, and maps message-only bodies to codes. */
  catalog?: Catalog<any>;
  /** A correlation id from a response header, used when the body carries none. */
  correlationId?: string;
}

function toBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The declared format a body is in (its best fit), or `undefined` when none fits. */
export function detectFormat(
  body: unknown,
  formats: readonly ErrorFormat[] = commonFormats,
): { format: ErrorFormat; parsed: ParsedError } | undefined {
  const value = toBody(body);
  let best: ErrorFormat | undefined;
  let bestScore = 0;
  for (const format of formats) {
    const score = format.match(value);
    if (score > bestScore) {
      best = format;
      bestScore = score;
    }
  }
  if (!best) return undefined;
  return { format: best, parsed: best.parse(value)! };
}

function codeForStatus(status: number, catalog: Catalog<any> | undefined): string {
  const role = roleOfStatus[status] ?? (status >= 500 ? 'internal' : 'badRequest');
  return (catalog ?? standardErrors).builtins[role];
}

/** The fields of the error a body holds, filled in from the catalog and the status where it is silent. */
export function errorInitFromBody(
  body: unknown,
  options: ParseErrorBodyOptions | readonly ErrorFormat[] = {},
): ApiErrorInit {
  const { formats, status, catalog, correlationId } = Array.isArray(options)
    ? ({ formats: options } as ParseErrorBodyOptions)
    : (options as ParseErrorBodyOptions);
  const parsed = detectFormat(body, formats ?? commonFormats)?.parsed ?? {};
  const givenStatus = isErrorStatus(parsed.status)
    ? parsed.status
    : isErrorStatus(status)
      ? status
      : undefined;
  let entry: CatalogEntry | undefined;
  let details: unknown;
  if (catalog && parsed.code !== undefined) entry = catalog.get(parsed.code);
  else if (catalog && parsed.message !== undefined) {
    // A body without a code names its error by message: exact, or a template with its values read back.
    const match = matchMessage(catalog, parsed.message);
    entry = match?.entry;
    details = match?.details;
  }
  const finalStatus = givenStatus ?? entry?.status ?? 500;
  // What the body holds wins; the catalog's entry fills in what it leaves out.
  const init: Record<string, unknown> = {};
  for (const field of fieldList) {
    if (!field.onApiError) continue;
    const value = (parsed as Record<string, unknown>)[field.key] ?? (entry && field.ofEntry?.(entry));
    if (value !== undefined) init[field.key] = value;
  }
  init.status = finalStatus;
  init.code ??= codeForStatus(finalStatus, catalog);
  init.message = parsed.message ?? parsed.title ?? entry?.message ?? reasonPhrase(finalStatus);
  init.correlationId ??= correlationId;
  if (init.details === undefined && details !== undefined) init.details = details;
  if (entry?.role !== undefined) init.role = entry.role;
  return init as unknown as ApiErrorInit;
}

/**
 * Reads an error body (parsed JSON or its text) in any of the given formats back into an ApiError.
 * A body that fits no format still yields an ApiError, with a code derived from the status.
 * @example
 * const error = parseErrorBody(await response.json(), { status: response.status, catalog: errors });
 */
export function parseErrorBody(
  body: unknown,
  options: ParseErrorBodyOptions | readonly ErrorFormat[] = {},
): ApiError {
  return new ApiError(errorInitFromBody(body, options), { stack: false });
}
