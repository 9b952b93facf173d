import { roleError } from '../catalog/role-error.js';
import { isJsonMediaType } from '../format/media-type.js';
import { type HeadersLike, headerOf } from './request.js';

/** True when the `Content-Type` is JSON (`application/json` or `+json`) in UTF-8, the only charset JSON has. */
export function isJsonContentType(header: string | null | undefined): boolean {
  if (!isJsonMediaType(header)) return false;
  const [, ...params] = header!.split(';');
  for (const param of params) {
    const [name = '', value = ''] = param.split('=');
    if (name.trim().toLowerCase() === 'charset' && !/^"?utf-8"?$/i.test(value.trim())) return false;
  }
  return true;
}

/**
 * Refuses a body sent in a content coding (`Content-Encoding` other than `identity`): 415 with
 * `Accept-Encoding: identity`, as RFC 9110 §15.5.16 says. faultline decodes none: read as it came, a
 * gzip body would be "malformed", and a coding named over plain bytes would be taken for them.
 */
export function refuseContentCoding(headers: HeadersLike | undefined): void {
  const coding = headerOf(headers, 'content-encoding');
  if (coding === undefined) return;
  const name = coding.trim().toLowerCase();
  if (name === '' || name === 'identity') return;
  throw roleError('unsupportedMediaType', {
    headers: { 'accept-encoding': 'identity' },
    specific: 'The request content encoding is not supported.',
  });
}
