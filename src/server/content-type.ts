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
 * Every value of a list header: its lines joined with ", ", as RFC 9110 §5.3 lets a recipient combine them.
 * A reader of the first line alone would take `identity` then `gzip` on two lines for plain bytes.
 */
function listOf(headers: HeadersLike | undefined, name: string): string | undefined {
  // The common case, no such header, costs one scan and no allocation.
  const first = headerOf(headers, name);
  if (first === undefined) return undefined;
  const lines = (headers as { lines?: unknown }).lines;
  if (typeof lines === 'function')
    return (lines as (name: string) => string[]).call(headers, name).join(', ');
  const value = (headers as Record<string, string | readonly string[] | undefined>)[name];
  return Array.isArray(value) ? value.join(', ') : first;
}

/** Whether a list header names a coding other than those `allowed` (lower case). */
function namesOther(list: string | undefined, allowed: readonly string[]): boolean {
  if (list === undefined) return false;
  for (const part of list.split(',')) {
    const name = part.trim().toLowerCase();
    if (name !== '' && !allowed.includes(name)) return true;
  }
  return false;
}

/**
 * Refuses a body sent in a content coding (`Content-Encoding` other than `identity`, on any of its lines):
 * 415 with `Accept-Encoding: identity`, as RFC 9110 §15.5.16 says. faultline decodes none: read as it
 * came, a gzip body would be "malformed", and a coding named over plain bytes would be taken for them. A
 * transfer coding other than `chunked` (`Transfer-Encoding: gzip, chunked`, which node's parser lets
 * through) is refused 501, as RFC 9112 §6.1 says and nginx does: its bytes are not the body either.
 */
export function refuseContentCoding(headers: HeadersLike | undefined): void {
  if (namesOther(listOf(headers, 'content-encoding'), ['identity'])) {
    throw roleError('unsupportedMediaType', {
      headers: { 'accept-encoding': 'identity' },
      specific: 'The request content encoding is not supported.',
    });
  }
  // A list that does not end in chunked is framing node's parser refuses (400); one that does and names
  // another coding before it is framed, in a coding faultline does not decode.
  const transfer = listOf(headers, 'transfer-encoding');
  if (transfer !== undefined && /(^|,)\s*chunked\s*$/i.test(transfer) && namesOther(transfer, ['chunked'])) {
    throw roleError('notImplemented', { specific: 'The request transfer coding is not supported.' });
  }
}
