import { raise } from '../catalog/role-error.js';
import { type HeadersLike, headerOf } from './request.js';

const jsonType = /^application\/(?:[\w.+-]+\+)?json$/;

/** True when the `Content-Type` is JSON (`application/json` or `+json`) in UTF-8, the only charset JSON has. */
export function isJsonContentType(header: string | null | undefined): boolean {
  if (!header) return false;
  const [type = '', ...params] = header.split(';');
  if (!jsonType.test(type.trim().toLowerCase())) return false;
  for (const param of params) {
    const [name = '', value = ''] = param.split('=');
    if (name.trim().toLowerCase() === 'charset' && !/^"?utf-8"?$/i.test(value.trim())) return false;
  }
  return true;
}

/** True when the request announces a body (`Content-Length` above 0, or `Transfer-Encoding`). */
export function hasRequestBody(headers: HeadersLike | undefined): boolean {
  const length = headerOf(headers, 'content-length');
  return headerOf(headers, 'transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/**
 * Raises the catalog's 415 (with `Accept: application/json`) when a request has a body that is not
 * UTF-8 JSON; a request without a body passes. `hasBody` defaults to what the headers announce; a Web
 * `Request` knows better (`request.body !== null`).
 * @example
 * assertJsonBody(request.headers);
 */
export function assertJsonBody(headers: HeadersLike | undefined, hasBody = hasRequestBody(headers)): void {
  if (hasBody && !isJsonContentType(headerOf(headers, 'content-type'))) {
    throw raise('unsupportedMediaType', undefined, { accept: 'application/json' });
  }
}
