import type { IncomingMessage } from 'node:http';
import { bodyTooLarge, concatBytes, readTimedOut } from '../../server/body.js';

/**
 * Reads a node request's whole body under the limits and puts the bytes back on the stream, unread: a
 * reader that comes after the guard (body-parser, co-body, a handler's own) reads the same bytes under
 * its own limit, `verify` and strictness, as it would with no guard before it. Consumed instead, the body
 * would read as already parsed to body-parser, which would skip every check it makes.
 *
 * It reads through 'readable' and `read()`, so that once its listener is gone the stream is neither
 * paused nor flowing and a later 'data' listener starts it. The bytes go back with `unshift` once the
 * request is complete and before its 'end' is emitted, the one moment node's streams take them back.
 * Resolves with the bytes; rejects 413 past `limit` or 408 when no byte comes for `readTimeout`, the
 * rest left unread (`onRefused` marks it).
 */
export function readAndPutBack(
  req: IncomingMessage,
  limits: { readonly limit: number; readonly readTimeout: number },
  onRefused: (req: IncomingMessage) => void,
  onAbort: (error: unknown) => Error,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    const finish = (error: Error | undefined, body?: Uint8Array) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('readable', onReadable);
      req.off('end', onEnd);
      req.off('error', aborted);
      req.off('close', aborted);
      if (error) {
        req.pause();
        onRefused(req);
        reject(error);
      } else resolve(body!);
    };
    const onReadable = () => {
      for (let chunk = req.read() as Uint8Array | null; chunk !== null; chunk = req.read()) {
        size += chunk.length;
        if (size > limits.limit) return finish(bodyTooLarge());
        chunks.push(chunk);
        timer.refresh();
      }
      if (!req.complete) return;
      const body = concatBytes(chunks, size);
      if (body.length > 0) req.unshift(body);
      finish(undefined, body);
    };
    // A body of no bytes ends without a byte to put back.
    const onEnd = () => finish(undefined, new Uint8Array(0));
    const aborted = (error?: unknown) => finish(onAbort(error));
    const timer = setTimeout(() => finish(readTimedOut()), limits.readTimeout);
    req.on('readable', onReadable);
    req.once('end', onEnd);
    req.once('error', aborted);
    req.once('close', aborted);
  });
}
