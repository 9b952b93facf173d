import WebSocket from 'ws';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function opened(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(url);
    client.on('error', () => {});
    const timer = setTimeout(() => reject(new Error('no open within 15 s')), 15_000);
    client.once('open', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`refused with ${res.statusCode}`));
    });
  });
}

/** What a slow-reader flood did: frames sent, and the client, whose reads are paused. */
export interface Flood {
  readonly client: WebSocket;
  readonly sent: number;
  /** Resumes reading and resolves with the close code the client sees (1006: terminated), 10 s at most. */
  drain(): Promise<number | 'open'>;
}

/**
 * A `ws` client that stops reading at the TCP level, then sends `frame` up to `max` times in batches,
 * until the socket closes, `alive()` turns false, or `ms` pass.
 */
export async function slowReaderFlood(
  url: string,
  frame: Buffer | string,
  { max, ms, alive = () => true }: { max: number; ms: number; alive?: () => boolean },
): Promise<Flood> {
  const client = await opened(url);
  let closeCode: number | undefined;
  const closed = new Promise<number>((resolve) =>
    client.once('close', (code) => {
      closeCode = code;
      resolve(code);
    }),
  );
  (client as unknown as { _socket: import('node:net').Socket })._socket.pause();
  const deadline = Date.now() + ms;
  let sent = 0;
  while (sent < max && closeCode === undefined && alive() && Date.now() < deadline) {
    for (let i = 0; i < 500 && sent < max; i++, sent++) client.send(frame);
    await tick();
  }
  return {
    client,
    sent,
    async drain() {
      (client as unknown as { _socket: import('node:net').Socket })._socket.resume();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'open'>((resolve) => (timer = setTimeout(() => resolve('open'), 10_000)));
      const code = await Promise.race([closed, late]);
      clearTimeout(timer);
      if (code === 'open') client.terminate();
      return code;
    },
  };
}

/** What a reading client received for a burst: events and bytes, and what it sent. */
export interface Answers {
  events: number;
  bytesOut: number;
  bytesIn: number;
  /** Milliseconds from the first frame sent to the last answer read. */
  elapsed: number;
}

/**
 * Sends `count` copies of `frame` from a client that reads everything, then closes (1000). The server's
 * close frame comes after every answer to what preceded the client's close, so the count is complete.
 */
export async function burst(url: string, frame: Buffer | string, count: number): Promise<Answers> {
  const client = await opened(url);
  const answers: Answers = { events: 0, bytesOut: 0, bytesIn: 0, elapsed: 0 };
  client.on('message', (data: Buffer) => {
    answers.events++;
    answers.bytesOut += data.length;
  });
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  const started = Date.now();
  const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
  // A client frame: 2 bytes of header (4 past 125 bytes), 4 of mask, the payload.
  const wire = size + (size < 126 ? 6 : 8);
  for (let sent = 0; sent < count; ) {
    for (let i = 0; i < 500 && sent < count; i++, sent++) client.send(frame);
    await tick();
  }
  answers.bytesIn = wire * count;
  client.close(1000);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
  clearTimeout(timer);
  answers.elapsed = Date.now() - started;
  client.terminate();
  return answers;
}
