import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';

/**
 * Calls `done` once the response of `c` has gone out, streamed bodies (SSE, a download) included, or its
 * client has left. On `@hono/node-server` that is its `ServerResponse` finishing or closing. Elsewhere
 * (Bun, Deno, Workers, `app.request()`), where no such event exists, the body is relayed through a stream
 * that tells when it ends, fails or is cancelled; a response without a body, or to HEAD (whose body Hono
 * drops unread), is out at once. Returns true when the body is relayed: a runtime may drop it unread, and
 * only its own ttl then ends what waits for it.
 */
export function whenSent(c: Context, done: () => void): boolean {
  let fired = false;
  const fire = () => {
    if (fired) return;
    fired = true;
    done();
  };
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing !== undefined && typeof outgoing.once === 'function') {
    if (outgoing.writableFinished || outgoing.destroyed) fire();
    else {
      outgoing.once('finish', fire);
      outgoing.once('close', fire);
    }
    return false;
  }
  const body = c.res.body;
  if (body === null || c.req.method === 'HEAD') {
    fire();
    return false;
  }
  c.res = new Response(relay(body, fire), c.res);
  return true;
}

function relay(source: ReadableStream<Uint8Array>, fire: () => void): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const read = await reader.read();
        if (!read.done) return controller.enqueue(read.value);
        controller.close();
      } catch (error) {
        controller.error(error);
      }
      fire();
    },
    cancel(reason) {
      fire();
      return reader.cancel(reason);
    },
  });
}

// The contexts whose streamed answer failed after its head went out.
const failedAnswers = new WeakSet<Context>();

/**
 * Marks the streamed answer of `c` as failed: Hono ends a stream whose callback threw as if it had
 * completed, and its status is already sent, so an idempotency guard would keep the cut-short answer and
 * replay it to the retry. Marked, it keeps nothing, and the retry runs again. Call it from the stream's
 * `onError`.
 * @example
 * return streamSSE(c, run, async (error, stream) => {
 *   failStream(c);
 *   await stream.writeSSE({ event: 'error', data: 'failed' });
 * });
 */
export function failStream(c: Context): void {
  failedAnswers.add(c);
}

/** Whether the streamed answer of `c` was marked failed (`failStream`). */
export function streamFailed(c: Context): boolean {
  return failedAnswers.has(c);
}
