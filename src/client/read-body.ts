/** The text of a response body, read up to `limit` bytes and for at most `timeoutMs`; the rest is discarded. */
export async function readBodyText(response: Response, limit: number, timeoutMs: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  // Cancelling a stream ends the read pending on it (WHATWG Streams, ReadableStreamCancel): a body that
  // stalls past the timeout stops there, with what arrived.
  const stop = () => reader.cancel().catch(() => {});
  const timer = setTimeout(stop, timeoutMs);
  // Decoded as it streams: a character split between chunks is joined, one cut at the limit becomes U+FFFD.
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (limit > 0) {
      const next = await reader.read();
      if (next.done) break;
      const chunk = next.value.subarray(0, limit);
      limit -= chunk.byteLength;
      text += decoder.decode(chunk, { stream: true });
    }
  } catch {
    // A body cut off mid-read still yields what arrived.
  } finally {
    clearTimeout(timer);
    stop();
  }
  return text + decoder.decode();
}
