import { connect, type Socket } from 'node:net';

/** A response read off a raw socket, with every header lower-cased. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** With `expectContinue`: whether the server sent `100 Continue` before its answer. */
  continued?: boolean;
}

/** Options of `sendRaw`. */
export interface SendRawOptions {
  /** The request is HEAD: the answer has headers only. */
  head?: boolean;
  /** Fails after this long. @default 5000 */
  timeoutMs?: number;
  /** Waits this long between chunks (a client that sends its body slowly). @default 0 */
  gapMs?: number;
  /**
   * The first chunk is a head with `Expect: 100-continue`: the rest is sent only after the server's
   * `100 Continue`, as curl does for a large upload (never, when the server answers first).
   */
  expectContinue?: boolean;
}

function parseHead(text: string): { status: number; headers: Record<string, string> } {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}

/**
 * Writes raw bytes to a server on 127.0.0.1 and reads the first answer: complete when its
 * `Content-Length` is read, at once for 204 or HEAD, or at close. Bounded by `timeoutMs`.
 */
export function sendRaw(
  baseUrl: string,
  chunks: readonly (string | Uint8Array)[],
  options: SendRawOptions = {},
): Promise<RawAnswer> {
  const { port } = new URL(baseUrl);
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (error: Error | undefined, answer?: RawAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(answer!);
    };
    const timer = setTimeout(() => settle(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    let continued = false;
    const tryParse = (closed: boolean) => {
      if (options.expectContinue && !continued && /^HTTP\/1\.1 100 /.test(received.toString('latin1'))) {
        const interim = received.indexOf('\r\n\r\n');
        if (interim === -1) return;
        continued = true;
        received = received.subarray(interim + 4);
        writeNext();
      }
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) {
        if (closed) settle(new Error(`connection closed without an answer: ${received.toString()}`));
        return;
      }
      const { status, headers } = parseHead(received.subarray(0, end).toString('latin1'));
      const body = received.subarray(end + 4);
      const length = Number(headers['content-length']);
      const bodiless = options.head || status === 204 || status === 304;
      if (bodiless || (Number.isFinite(length) && body.length >= length) || closed) {
        const answer: RawAnswer = { status, headers, body: bodiless ? '' : body.toString('utf8') };
        if (options.expectContinue) answer.continued = continued;
        settle(undefined, answer);
      }
    };
    let next = 0;
    const writeNext = () => {
      if (settled || next >= chunks.length) return;
      socket.write(chunks[next++]!);
      // With `expectContinue`, the body waits for the server's 100.
      if (options.expectContinue && !continued) return;
      if (options.gapMs) setTimeout(writeNext, options.gapMs);
      else writeNext();
    };
    socket.on('connect', writeNext);
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      tryParse(false);
    });
    socket.on('error', () => {
      // A server that answers early and closes may reset the rest of an upload; the answer still counts.
    });
    socket.on('close', () => tryParse(true));
  });
}

/** A raw socket to 127.0.0.1 that keeps what it receives (latin1) and whether it has closed. */
export interface RawClient {
  socket: Socket;
  received(): string;
  closed(): boolean;
}

/** Opens a `RawClient` on `port` and waits for the connection. */
export async function rawClient(port: number): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let ended = false;
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    ended = true;
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => text, closed: () => ended };
}

/** Waits until `done` holds, at most 250 times 20 ms apart. */
export async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}
