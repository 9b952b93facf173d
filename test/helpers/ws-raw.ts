import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** A masked client frame (RFC 6455 §5.2), with any opcode and payload length. */
export function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | length])
      : length < 65_536
        ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 127]), u64(length)]);
  const key = randomBytes(4);
  const body = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) body[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([head, key, body]);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** What a raw client saw of the server, frame by frame. */
export interface RawSeen {
  /** Data frames (text and binary) and their payload bytes. */
  frames: number;
  bytes: number;
  /** The code of every close frame the server sent, as on the wire (`null`: a close frame without a code). */
  closeCodes: (number | null)[];
  /** Frames whose header no server may send (masked, RSV bits, unknown opcode). */
  malformed: number;
  /** Data frames that came after the server's close frame (RFC 6455 §5.5.1: there must be none). */
  afterClose: number;
}

/** A WebSocket client written at the frame level: reads can be paused and every server frame is seen. */
export interface RawClient {
  readonly socket: Socket;
  readonly seen: RawSeen;
  /** Resolves once the TCP connection is closed, whoever closed it. */
  readonly ended: Promise<void>;
  /** Writes one masked frame; false when the socket buffers it. */
  send(opcode: number, payload: Buffer): boolean;
  /** Sends the client's close frame (1000), as a polite peer answers the server's. */
  closeFrame(): void;
}

/** Upgrades a raw TCP connection to 127.0.0.1:port; rejects when the server does not answer 101 in 15 s. */
export function rawConnect(port: number, path = '/'): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const seen: RawSeen = { frames: 0, bytes: 0, closeCodes: [], malformed: 0, afterClose: 0 };
  const ended = new Promise<void>((done) => socket.once('close', () => done()));
  let pending: Buffer = Buffer.alloc(0);
  let upgraded = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no 101 within 15 s'));
    }, 15_000);
    void ended.then(() => {
      clearTimeout(timer);
      if (!upgraded) reject(new Error(`closed before 101: ${pending.toString('latin1').slice(0, 200)}`));
    });
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      if (!upgraded) {
        const end = pending.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 4);
        if (!head.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          return;
        }
        upgraded = true;
        clearTimeout(timer);
        resolve({
          socket,
          seen,
          ended,
          send: (opcode, payload) => socket.write(clientFrame(opcode, payload)),
          closeFrame: () => socket.write(clientFrame(8, Buffer.from([0x03, 0xe8]))),
        });
      }
      pending = parseFrames(pending, seen);
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

// Reads every complete server frame off `buffer` into `seen`; returns the incomplete rest.
function parseFrames(buffer: Buffer, seen: RawSeen): Buffer {
  let at = 0;
  for (;;) {
    if (buffer.length - at < 2) break;
    const b0 = buffer[at]!;
    const b1 = buffer[at + 1]!;
    let length = b1 & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (buffer.length - at < 4) break;
      length = buffer.readUInt16BE(at + 2);
      offset = at + 4;
    } else if (length === 127) {
      if (buffer.length - at < 10) break;
      length = Number(buffer.readBigUInt64BE(at + 2));
      offset = at + 10;
    }
    if (buffer.length < offset + length) break;
    const opcode = b0 & 0x0f;
    if ((b1 & 0x80) !== 0 || (b0 & 0x70) !== 0 || ![0, 1, 2, 8, 9, 10].includes(opcode)) seen.malformed++;
    if (opcode === 0 || opcode === 1 || opcode === 2) {
      if (seen.closeCodes.length > 0) seen.afterClose++;
      seen.frames++;
      seen.bytes += length;
    } else if (opcode === 8) {
      seen.closeCodes.push(length >= 2 ? buffer.readUInt16BE(offset) : null);
    }
    at = offset + length;
  }
  return at === 0 ? buffer : buffer.subarray(at);
}

/** A close code a server may put on the wire (RFC 6455 §7.4): never 1004–1006, 1015, or outside the ranges. */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
