/**
 * Seed 001, probed from its reference page: the page's HTTP statuses are 400, 401, 404, 429 and 500, and
 * `X-Host` must match the connector's registered domain or a subdomain of it. The seed runs in this process;
 * everything is asked over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../../examples/seeds/001/app.js';
import { sendRaw } from '../helpers/raw.js';

let running: Awaited<ReturnType<typeof start>>;
let connectorToken: string;

beforeAll(async () => {
  running = await start(0, { log: () => {} });
  connectorToken = running.seed.messaging.addConnector({ host: 'example.com' }).token;
});
afterAll(() => running?.close());

const accessToken = (host: string) =>
  fetch(`${running.url}/api/v1/access-token`, {
    method: 'POST',
    headers: { 'x-token': connectorToken, 'x-host': host },
  });

describe('seed 001 POST /api/v1/access-token', () => {
  it('answers "Failed to validate connector" for an X-Host that only ends like the registered domain', async () => {
    const hosts = [
      'evil.org,.example.com',
      'evil.org/.example.com',
      'https://evil.org/#.example.com',
      '.example.com',
      '*.example.com',
    ];
    for (const host of hosts) {
      const res = await accessToken(host);
      expect({ host, status: res.status, body: await res.json() }).toEqual({
        host,
        status: 401,
        body: { error: 'Failed to validate connector' },
      });
    }
  });

  it('issues a token for the registered domain and its subdomains', async () => {
    for (const host of ['example.com', 'app.example.com', 'APP.Example.com']) {
      expect((await accessToken(host)).status).toBe(200);
    }
  });
});

describe('seed 001 answers only the page statuses to a request it cannot take', () => {
  const parseError = { error: 'Error parsing request' };
  let bearer: string;
  beforeAll(async () => {
    bearer = `Authorization: Bearer ${((await (await accessToken('example.com')).json()) as { access_token: string }).access_token}\r\n`;
  });
  const createSession = (headers: string, body: string) =>
    sendRaw(running.url, [
      `POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${bearer}${headers}\r\n${body}`,
    ]);

  it('answers 400 "Error parsing request" to a session body over 16 KiB', async () => {
    const body = `{"streaming_enabled":true,"p":"${'x'.repeat(17 * 1024)}"}`;
    const answer = await createSession(
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`,
      body,
    );
    expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({
      status: 400,
      body: parseError,
    });
  });

  it('answers 400 "Error parsing request" to a session body in a content coding', async () => {
    const answer = await createSession(
      'Content-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n',
      '{}',
    );
    expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({
      status: 400,
      body: parseError,
    });
  });

  it('answers 400 "Error parsing request" to a session body in a transfer coding it cannot decode', async () => {
    const answer = await createSession(
      'Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n',
      '2\r\n{}\r\n0\r\n\r\n',
    );
    expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({
      status: 400,
      body: parseError,
    });
  });

  it('answers a method a route does not take 404, as an unknown route, with Allow', async () => {
    const res = await fetch(`${running.url}/api/v1/access-token`, { method: 'DELETE' });
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 404,
      body: { error: 'The requested resource does not exist.' },
    });
    expect(res.headers.get('allow')).toContain('POST');
  });
});
