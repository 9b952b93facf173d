/** The text of a response body, read up to `limit` bytes and for at most `timeoutMs`; the rest is discarded. */
export async function readBodyText(response: Response, limit: number, timeoutMs: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  // Decoded as it streams: a character split between chunks is joined, one cut at the limit becomes U+FFFD.
  const decoder = new TextDecoder();
  let text = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => resolve(), timeoutMs);
  });
  try {
    while (limit > 0) {
      const next = await Promise.race([reader.read(), timeout]);
      if (!next || next.done) break;
      const chunk = next.value.subarray(0, limit);
      limit -= chunk.byteLength;
      text += decoder.decode(chunk, { stream: true });
    }
  } catch {
    // A body cut off mid-read still yields what arrived.
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  return text + decoder.decode();
}
