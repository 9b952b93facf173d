/** The text of a response body, read up to `limit` bytes and for at most `timeoutMs`; the rest is discarded. */
export async function readBodyText(response: Response, limit: number, timeoutMs: number): Promise<string> {
  const body = response.body;
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    while (size < limit) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === 'timeout' || next.done) break;
      const room = limit - size;
      chunks.push(next.value.byteLength > room ? next.value.subarray(0, room) : next.value);
      size += Math.min(next.value.byteLength, room);
    }
  } catch {
    // A body cut off mid-read still yields what arrived.
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  if (chunks.length === 1) return new TextDecoder().decode(chunks[0]);
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(joined);
}
