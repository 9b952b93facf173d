import type { IncomingMessage } from 'node:http';
import type { RequestView } from '../../server/request.js';

/**
 * A request view over node's `rawHeaders`: faultline reads one or two headers per error, and node's
 * `req.headers` builds an object of all of them on first access.
 */
export function toRequestView(req: IncomingMessage): RequestView {
  const raw = req.rawHeaders;
  return {
    method: req.method,
    url: req.url,
    ip: req.socket?.remoteAddress,
    headers: {
      get(name: string): string | null {
        for (let i = 0; i < raw.length; i += 2) {
          const key = raw[i]!;
          if (key.length === name.length && key.toLowerCase() === name) return raw[i + 1]!;
        }
        return null;
      },
    },
  };
}
