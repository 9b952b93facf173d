import { ApiError, type ApiErrorInit } from '../catalog/api-error.js';
import { reasonPhrase } from '../catalog/status.js';
import type { Catalog } from '../catalog/types.js';
import { commonFormatList } from './common.js';
import { bestFit, readErrorInit, toBody } from './error-init.js';
import type { ErrorFormat, ParsedError } from './types.js';

/** Options of `parseErrorBody`. */
export interface ParseErrorBodyOptions {
  /**
   * The formats to try; on equal fit, the earlier wins.
   * @default every format of commonFormats
   */
  formats?: readonly ErrorFormat[];
  /** The response status, used when the body does not carry one. */
  status?: number;
  /** The API's catalog: fills in what the body leaves out, and maps message-only bodies to codes. */
  catalog?: Catalog<any>;
  /** A correlation id from a response header, used when the body carries none. */
  correlationId?: string;
}

/** The declared format a body is in (its best fit), or `undefined` when none fits. */
export function detectFormat(
  body: unknown,
  formats: readonly ErrorFormat[] = commonFormatList,
): { format: ErrorFormat; parsed: ParsedError } | undefined {
  return bestFit(toBody(body), formats);
}

/** The fields of the error a body holds, filled in from the catalog and the status where it is silent. */
export function errorInitFromBody(
  body: unknown,
  options: ParseErrorBodyOptions | readonly ErrorFormat[] = {},
): ApiErrorInit {
  const { formats, ...rest } = Array.isArray(options)
    ? ({ formats: options } as ParseErrorBodyOptions)
    : (options as ParseErrorBodyOptions);
  return readErrorInit(body, { ...rest, formats: formats ?? commonFormatList, reason: reasonPhrase });
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
