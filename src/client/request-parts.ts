import { hasNoContent } from '../catalog/status.js';
import { isJsonMediaType } from '../format/media-type.js';
import { timerDelay } from './retry.js';
import type { RequestOptions } from './types.js';

/** Whether a body can be sent again on a retry. */
export function isReplayable(body: RequestInit['body'] | undefined): boolean {
  if (body === undefined || body === null || typeof body === 'string') return true;
  if (body instanceof URLSearchParams || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return true;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return true;
  if (typeof FormData !== 'undefined' && body instanceof FormData) return true;
  // A ReadableStream or an async iterable is consumed by the first attempt.
  return false;
}

/** The URL of a request: the path joined to the base, with its query. */
export function buildUrl(base: URL, path: string, query: RequestOptions['query']): string {
  // A plain path is joined as text; anything else (a query, dots, an absolute URL) goes through URL.
  if (!query && /^\/?[\w\-~!$&'()*+,;=:@%/]*$/.test(path) && !path.includes('//')) {
    return base.href + (path.startsWith('/') ? path.slice(1) : path);
  }
  const url = new URL(path.replace(/^\//, ''), base);
  if (query) {
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
    }
  }
  return url.href;
}

/** Headers as a record of lower-case names. */
export function toRecord(init: RequestInit['headers'] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  if (init) {
    new Headers(init).forEach((value, key) => {
      record[key] = value;
    });
  }
  return record;
}

/** The error a request rejects with when it runs past its timeout. */
export function timeoutError(ms: number): DOMException {
  return new DOMException(`The request timed out after ${ms} ms`, 'TimeoutError');
}

/**
 * A body's text, read for at most `timeout` ms and `limit` bytes: a server that stalls, trickles or floods it
 * must not hang the caller or fill its memory.
 */
async function readText(response: Response, timeout: number | false, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  let timedOut = false;
  // Cancelling the stream ends the read pending on it (WHATWG Streams, ReadableStreamCancel).
  const timer =
    timeout === false
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          reader.cancel().catch(() => {});
        }, timerDelay(timeout));
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      bytes += next.value.byteLength;
      if (bytes > limit) {
        reader.cancel().catch(() => {});
        throw new RangeError(`The response body is over bodyLimit (${limit} bytes)`);
      }
      text += decoder.decode(next.value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) throw timeoutError(timeout as number);
  return text + decoder.decode();
}

/** The body of a 2xx response: JSON by its content type, else text; `undefined` when empty. */
export async function parseSuccess(
  response: Response,
  timeout: number | false,
  limit: number,
): Promise<unknown> {
  if (hasNoContent(response.status)) {
    await response.body?.cancel();
    return undefined;
  }
  const text = await readText(response, timeout, limit);
  if (text === '') return undefined;
  return isJsonMediaType(response.headers.get('content-type')) ? JSON.parse(text) : text;
}
