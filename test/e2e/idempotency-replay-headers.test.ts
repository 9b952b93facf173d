import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { idempotency } from 'faultline/guards';
import { createNodeErrors, guard } from 'faultline/node';
import { memoryStore } from 'faultline/stores';
import { afterAll, expect, it } from 'vitest';
import { close, listen } from '../helpers/http.js';

/** The head of the answer to a raw request sent with `connection: close`, read to the end (bounded). */
function rawHead(url: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.write(text));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received.split('\r\n\r\n')[0] ?? '');
    });
  });
}

let server: Server | undefined;
afterAll(async () => {
  if (server) await close(server);
});

it('a replay carries each header once: writeHead names in any case replace what setHeader set', async () => {
  const errors = createNodeErrors({ logger: false });
  server = createServer(
    errors(
      guard(idempotency({ tenant: () => 't', store: memoryStore() }))((_req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-Order': '1' });
        res.end('{"ok":true}');
      }),
    ),
  );
  const url = await listen(server);
  const key = randomUUID();
  const post = () =>
    rawHead(
      url,
      `POST / HTTP/1.1\r\nhost: x\r\nidempotency-key: "${key}"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
    );
  await post();
  await post();
  const second = await post();
  const lines = second.split('\r\n').map((line) => line.toLowerCase());
  expect(lines.filter((line) => line.startsWith('idempotent-replayed:'))).toHaveLength(1);
  expect(lines.filter((line) => line.startsWith('content-type:'))).toEqual([
    'content-type: application/json',
  ]);
  expect(lines.filter((line) => line.startsWith('x-order:'))).toHaveLength(1);
});
