import type { ApiError } from '../catalog/api-error.js';
import type { BodyText } from './read-body.js';
import { type ParseErrorResponseOptions, readErrorText } from './read-error.js';

/** An error response as another HTTP client hands it over: its status, headers and body as it read it. */
export interface ErrorResponseParts {
  readonly status: number;
  /** The reason phrase, the message of an error whose body names none. @default `HTTP <status>` */
  readonly statusText?: string | undefined;
  readonly headers: NonNullable<RequestInit['headers']>;
  /**
   * The body as the client read it: its text, its parsed JSON, a Blob or bytes; `undefined` or `null`
   * for none.
   */
  readonly body?: unknown;
}

const defaultLimit = 1024 * 1024;

/** The first `limit` bytes of a text, as UTF-8 (a character cut in two becomes U+FFFD, as a cut stream does). */
function cut(text: string, limit: number): BodyText {
  if (text.length * 3 <= limit) return { text, complete: true };
  const bytes = new TextEncoder().encode(text);
  return bytes.byteLength <= limit
    ? { text, complete: true }
    : { text: new TextDecoder().decode(bytes.subarray(0, limit)), complete: false };
}

/** The text of a body another client read, at most `limit` bytes of it. */
async function textOf(body: unknown, limit: number): Promise<BodyText> {
  if (body === undefined || body === null) return { text: '', complete: true };
  if (typeof body === 'string') return cut(body, limit);
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    const { text } = cut(await body.slice(0, limit).text(), limit);
    return { text, complete: body.size <= limit };
  }
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    const bytes =
      body instanceof ArrayBuffer
        ? new Uint8Array(body)
        : new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    return { text: new TextDecoder().decode(bytes.subarray(0, limit)), complete: bytes.byteLength <= limit };
  }
  try {
    return cut(JSON.stringify(body) ?? '', limit);
  } catch {
    // A body that cannot be serialised (cyclic, a BigInt, a throwing getter) cannot be read whole.
    return { text: '', complete: false };
  }
}

/**
 * Reads an error response that another HTTP client already read into an ApiError, as `parseErrorResponse`
 * reads a `Response`: the body (text, parsed JSON, a Blob or bytes) is taken to `bodyLimit` bytes, and a
 * longer one, cut there, is read as no answer of the API. The hooks for ky and ofetch use it.
 * @example
 * const error = await parseErrorParts({ status: 404, headers: res.headers, body: data }, { catalog });
 */
export async function parseErrorParts(
  parts: ErrorResponseParts,
  options: ParseErrorResponseOptions = {},
): Promise<ApiError> {
  const headers = parts.headers instanceof Headers ? parts.headers : new Headers(parts.headers);
  const { text, complete } = await textOf(parts.body, options.bodyLimit ?? defaultLimit);
  const response = { status: parts.status, statusText: parts.statusText ?? '', headers };
  return readErrorText(response, text, options, complete);
}
