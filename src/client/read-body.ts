import { timerDelay } from './retry.js';

/** A body read as text, and whether it is all of it (not cut at the limit, by the timeout or by an error). */
export interface BodyText {
  readonly text: string;
  readonly complete: boolean;
}

/** The text of a response body, read up to `limit` bytes and for at most `timeoutMs`; the rest is discarded. */
export async function readBodyText(response: Response, limit: number, timeoutMs: number): Promise<BodyText> {
  const reader = response.body?.getReader();
  if (!reader) return { text: '', complete: true };
  // Cancelling a stream ends the read pending on it (WHATWG Streams, ReadableStreamCancel): a body that
  // stalls past the timeout stops there, with what arrived.
  let complete = false;
  let timedOut = false;
  const stop = () => reader.cancel().catch(() => {});
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timerDelay(timeoutMs));
  // Decoded as it streams: a character split between chunks is joined, one cut at the limit becomes U+FFFD.
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      // A cancelled stream reads as done: only a read that ends the body before the timer makes it whole.
      const next = await reader.read();
      if (next.done) {
        complete = !timedOut;
        break;
      }
      if (next.value.byteLength > limit) {
        // Past the limit: what was read is cut there.
        text += decoder.decode(next.value.subarray(0, limit), { stream: true });
        break;
      }
      limit -= next.value.byteLength;
      text += decoder.decode(next.value, { stream: true });
    }
  } catch {
    // A body cut off mid-read still yields what arrived, as an incomplete one.
  } finally {
    clearTimeout(timer);
    stop();
  }
  return { text: text + decoder.decode(), complete };
}
