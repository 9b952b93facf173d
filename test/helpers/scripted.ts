import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the scripted server saw it. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the script answers: a response, `'destroy'` to cut the connection, or a function for anything else. */
export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string | object; delayMs?: number }
  | 'destroy'
  | ((res: ServerResponse) => void);

/** A server on 127.0.0.1 whose n-th request (from 0) gets `script(n, seen)`. */
export async function scriptedServer(script: (n: number, seen: Seen) => Reply) {
  const requests: Seen[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(seen);
      const reply = script(requests.length - 1, seen);
      if (reply === 'destroy') {
        req.socket.destroy();
        return;
      }
      if (typeof reply === 'function') {
        reply(res);
        return;
      }
      const send = () => {
        const text =
          reply.body === undefined
            ? ''
            : typeof reply.body === 'string'
              ? reply.body
              : JSON.stringify(reply.body);
        res.writeHead(reply.status, {
          ...(typeof reply.body === 'object' ? { 'content-type': 'application/problem+json' } : {}),
          ...reply.headers,
        });
        res.end(text);
      };
      if (reply.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, reply.delayMs);
        timers.add(timer);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
