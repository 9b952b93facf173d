/**
 * Seed 001: sessions are the connector's to mint, so the per-session bound of 10 sockets bounds no
 * connector; an outside attack held 20,000 sockets of one connector and the process ran out of files.
 * Each connector has its share of an instance's sockets (WS_CONNECTIONS_PER_CONNECTOR), over all its
 * sessions, answered with the page's 429 WS_CONNECTION_LIMIT_EXCEEDED.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeedProcess, startSeed } from './harness.js';
import { connect } from './ws.js';

const share = 3;
const demoToken = `ct_${randomBytes(16).toString('hex')}`;
let seed: SeedProcess;

function post(path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${seed.url}${path}`, { method: 'POST', headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to POST ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** A new session of the demo connector: the query of a handshake to it. */
async function sessionQuery(): Promise<string> {
  const issued = await post('/api/v1/access-token', { 'x-token': demoToken, 'x-host': 'app.example.com' });
  expect(issued.status, issued.body).toBe(200);
  const token = (JSON.parse(issued.body) as { access_token: string }).access_token;
  const made = await post('/api/v1/sessions', { authorization: `Bearer ${token}` });
  expect(made.status, made.body).toBe(200);
  const id = (JSON.parse(made.body) as { session_id: string }).session_id;
  return `session_id=${id}&access_token=${token}`;
}

beforeAll(async () => {
  seed = await startSeed('001', {
    ADMIN_API_KEY: randomBytes(24).toString('base64url'),
    DEMO_CONNECTOR_TOKEN: demoToken,
    WS_CONNECTIONS_PER_CONNECTOR: String(share),
  });
}, 60_000);

afterAll(async () => {
  await seed?.stop();
});

describe('seed 001: WS_CONNECTIONS_PER_CONNECTOR', () => {
  it("refuses a connector's socket past its share over all its sessions, and admits one when a socket closes", async () => {
    const open = [];
    for (let i = 0; i < share; i++) {
      const answer = await connect(`${seed.wsUrl}/api/v1/ws?${await sessionQuery()}`);
      expect('kind' in answer, JSON.stringify(answer)).toBe(false);
      open.push(answer);
    }
    // A new session, within its own bound of 10: the connector's share refuses it.
    const query = await sessionQuery();
    const refused = await connect(`${seed.wsUrl}/api/v1/ws?${query}`);
    expect('kind' in refused && refused.status).toBe(429);
    // The page's envelope carries the message of its WS_CONNECTION_LIMIT_EXCEEDED only.
    if ('kind' in refused)
      expect(JSON.parse(refused.body)).toEqual({ error: 'connection limit exceeded for session' });
    const first = open.shift()!;
    if (!('kind' in first)) {
      const closed = new Promise((resolve) => first.ws.once('close', resolve));
      first.ws.close();
      await closed;
    }
    // The server counts a socket until it has seen it close: retry for a bounded while.
    let again: Awaited<ReturnType<typeof connect>> | undefined;
    for (let i = 0; i < 50; i++) {
      again = await connect(`${seed.wsUrl}/api/v1/ws?${query}`);
      if (!('kind' in again)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(again && !('kind' in again)).toBe(true);
    for (const answer of [...open, again!]) if (!('kind' in answer)) answer.ws.close();
  });
});
