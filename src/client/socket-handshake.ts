import { hasNoContent } from '../catalog/status.js';
// `ws` (Node) lets a client read a refused handshake; browsers never do (they report 1006).
export interface NodeHandshake {
  on?(
    event: 'unexpected-response',
    listener: (request: { destroy(): void }, response: NodeResponse) => void,
  ): void;
}
interface NodeResponse extends AsyncIterable<Uint8Array | string> {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
}

// A refused handshake's body is streamed: parseErrorResponse stops it at its limit and body timeout.
export function responseOf(res: NodeResponse): Response {
  const chunks = res[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(typeof value === 'string' ? new TextEncoder().encode(value) : value);
    },
    async cancel() {
      await chunks.return?.();
    },
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  const status = res.statusCode && res.statusCode >= 200 && res.statusCode <= 599 ? res.statusCode : 502;
  return new Response(hasNoContent(status) ? null : body, { status, headers });
}
