/** Reading requests of the platform API: bounded bodies (JSON by schema, CSV, audio) and query parameters. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { RoleError } from 'faultline';
import { readJson } from 'faultline/node';
import { errors } from './catalog.js';

type Code = Parameters<typeof errors.create>[0];

/** Reads a JSON body; a schema failure answers with the resource's own validation code when it has one. */
export async function readBody<S extends StandardSchemaV1>(
  req: IncomingMessage,
  schema: S,
  code: Code | undefined,
  readTimeout: number,
): Promise<StandardSchemaV1.InferOutput<S>> {
  try {
    return await readJson(req, { schema, limit: '1mb', readTimeout });
  } catch (error) {
    // The reader raises the validation role; this resource answers it with its own code.
    if (code && error instanceof RoleError && error.role === 'validationFailed')
      throw errors.create(code as 'CONVERSATIONS_VALIDATION_FAILED', undefined, {
        fieldErrors: error.fieldErrors ?? [],
      });
    throw error;
  }
}

// faultline's answer closes the connection (after a lingering close) when a reader marks the body unread.
const unread = Symbol.for('faultline.unreadBody');

/**
 * Reads a raw body of at most `limit` bytes, answering 413 past it and 408 when no byte comes for
 * `readTimeout` ms; on either, the rest is left unread and the answer closes the connection.
 */
export function readBytes(req: IncomingMessage, limit: number, readTimeout: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
      if (!error) return resolve(Buffer.concat(chunks));
      req.pause();
      (req as unknown as Record<symbol, boolean>)[unread] = true;
      reject(error);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(errors.builtin('requestTimeout')), readTimeout);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish(errors.builtin('bodyTooLarge'));
      chunks.push(chunk);
      arm();
    };
    const onEnd = () => finish();
    const onAbort = () =>
      finish(errors.builtin('badRequest', undefined, { message: 'The request was aborted.' }));
    if (declared > limit) return finish(errors.builtin('bodyTooLarge'));
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort);
    arm();
  });
}

/** The media type of a request, lower-cased, without parameters. */
const mediaType = (req: IncomingMessage) =>
  (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

/** Refuses a body of any other media type than `type` with `unsupported`, leaving it unread. */
export function expectType(req: IncomingMessage, type: string, unsupported: () => Error): void {
  if (mediaType(req) === type) return;
  (req as unknown as Record<symbol, boolean>)[unread] = true;
  throw unsupported();
}

/** Reads a CSV upload of at most 1 MiB; anything but `text/csv` is refused with `unsupported`. */
export async function readCsv(
  req: IncomingMessage,
  unsupported: () => Error,
  readTimeout: number,
): Promise<string> {
  expectType(req, 'text/csv', unsupported);
  return (await readBytes(req, 1024 * 1024, readTimeout)).toString('utf8');
}

/**
 * The value of query parameter `name`, `null` when absent. A parameter given twice is refused with
 * `refusal`, the page's error for that parameter: read as its first value, `?sort=startedAt&sort=zzz`
 * would answer 200 beside a value the page refuses.
 */
export function queryParam(params: URLSearchParams, name: string, refusal: () => Error): string | null {
  const values = params.getAll(name);
  if (values.length > 1) throw refusal();
  return values[0] ?? null;
}

/** Answers 201 with a JSON body. */
export function created(res: ServerResponse, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
