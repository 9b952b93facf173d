import type { ApiErrorInit } from '../catalog/api-error.js';
import { reasonPhrase } from '../catalog/status.js';
import type { Catalog } from '../catalog/types.js';
import { commonFormatList } from './common.js';
import { bestFit, readErrorInit, toBody } from './error-init.js';
import type { ErrorFormat, ParsedError } from './types.js';

/** Options of `errorInitFromBody`. */
export interface ErrorInitFromBodyOptions {
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
  options: ErrorInitFromBodyOptions | readonly ErrorFormat[] = {},
): ApiErrorInit {
  const { formats, ...rest } = Array.isArray(options)
    ? ({ formats: options } as ErrorInitFromBodyOptions)
    : (options as ErrorInitFromBodyOptions);
  return readErrorInit(body, { ...rest, formats: formats ?? commonFormatList, reason: reasonPhrase });
}
