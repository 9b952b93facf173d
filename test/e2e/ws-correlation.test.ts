/**
 * A WebSocket handshake chooses its correlation id by the rule of the HTTP answers of the same error
 * handler: the inbound header, `trustInbound` and `generate` of `correlation`. The 101, every event of the
 * connection and every refusal carry that id, and never an inbound id HTTP would not have kept.
 */
import { type CorrelationOptions, createErrorHandler } from 'faultline/server';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { authenticate, catalog } from './ws-fixtures.js';
import { refusal, type Served, serve } from './ws-helpers.js';

const opened: Served<any>[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function endpoint(correlation: CorrelationOptions, handshake: 'http' | 'close' = 'http') {
  const served = await serve({
    errors: { catalog, correlation, logger: false },
    authenticate,
    handshake,
  });
  opened.push(served);
  return served;
}

/** Connects, sends one malformed message, and returns the 101's headers and the first event. */
function connectAndErr(url: string, headers: Record<string, string>) {
  return new Promise<{ upgrade: Record<string, unknown>; event: any }>((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    let upgrade: Record<string, unknown> = {};
    const timer = setTimeout(() => reject(new Error('no event within 10 s')), 10_000);
    socket.on('error', reject);
    socket.once('upgrade', (res) => (upgrade = res.headers));
    socket.once('open', () => socket.send('{'));
    socket.once('message', (data) => {
      clearTimeout(timer);
      socket.close();
      resolve({ upgrade, event: JSON.parse(String(data)) });
    });
  });
}

const good = '/?session_id=s1&access_token=good';
const clientId = 'client-chosen-id-42';

describe('WebSocket correlation ids follow the HTTP rule', () => {
  it('with trustInbound: false, neither the 101 nor the events carry the client’s x-request-id', async () => {
    const { url } = await endpoint({ trustInbound: false });
    const { upgrade, event } = await connectAndErr(url + good, { 'x-request-id': clientId });
    expect(upgrade['x-request-id']).toBeTruthy();
    expect(upgrade['x-request-id']).not.toBe(clientId);
    expect(event.error.correlation_id).toBe(upgrade['x-request-id']);
  });

  it('with trustInbound: false, a refusal over HTTP does not carry the client’s id', async () => {
    const { url } = await endpoint({ trustInbound: false });
    const answer = await refusal(`${url}/?session_id=s1&access_token=bad`, { 'x-request-id': clientId });
    expect(answer.status).toBe(401);
    expect(answer.headers['x-request-id']).not.toBe(clientId);
    expect(JSON.parse(answer.body).correlation_id).toBe(answer.headers['x-request-id']);
  });

  it('with trustInbound: false, a refusal answered as an event (handshake: close) does not carry it', async () => {
    const { url } = await endpoint({ trustInbound: false }, 'close');
    const { upgrade, event } = await connectAndErr(`${url}/?session_id=s1&access_token=bad`, {
      'x-request-id': clientId,
    });
    expect(event.error.code).toBe('AUTHENTICATION_FAILED');
    expect(event.error.correlation_id).not.toBe(clientId);
    expect(upgrade['x-request-id']).toBe(event.error.correlation_id);
  });

  it('with trustInbound: true, a safe id is echoed on the 101 and the events', async () => {
    const { url } = await endpoint({ trustInbound: true });
    const { upgrade, event } = await connectAndErr(url + good, { 'x-request-id': clientId });
    expect(upgrade['x-request-id']).toBe(clientId);
    expect(event.error.correlation_id).toBe(clientId);
  });

  it.each([
    ['a space', 'two words'],
    ['129 characters', 'a'.repeat(129)],
    ['a non-ASCII character', 'café'],
  ])('with trustInbound: true, an id holding %s is replaced', async (_name, id) => {
    const { url } = await endpoint({ trustInbound: true });
    const { upgrade, event } = await connectAndErr(url + good, { 'x-request-id': id });
    expect(upgrade['x-request-id']).toBeTruthy();
    expect(upgrade['x-request-id']).not.toBe(id);
    expect(event.error.correlation_id).toBe(upgrade['x-request-id']);
  });

  it('reads the configured inbound header, answers on the response header, and makes ids with generate', async () => {
    let made = 0;
    const { url } = await endpoint({
      header: 'x-correlation-id',
      responseHeader: 'x-trace-id',
      generate: () => `made-${++made}`,
    });
    const kept = await connectAndErr(url + good, { 'x-correlation-id': clientId, 'x-trace-id': 'not-read' });
    expect(kept.upgrade['x-trace-id']).toBe(clientId);
    expect(kept.event.error.correlation_id).toBe(clientId);
    // The response header is not an inbound one: an id there is not kept, and a new one is generated.
    const fresh = await connectAndErr(url + good, { 'x-trace-id': clientId });
    expect(fresh.upgrade['x-trace-id']).toMatch(/^made-\d+$/);
    expect(fresh.event.error.correlation_id).toBe(fresh.upgrade['x-trace-id']);
  });

  it('the handler says the id it gives a request, the one its HTTP answer carries, without answering an error', () => {
    let made = 0;
    let reported = 0;
    const handler = createErrorHandler({
      catalog,
      correlation: { header: 'x-correlation-id', generate: () => `made-${++made}` },
      onError: () => reported++,
      logger: false,
    });
    expect(handler.correlationId({ headers: { 'x-correlation-id': clientId } })).toBe(clientId);
    expect(handler.correlationId({ headers: { 'x-correlation-id': 'two words' } })).toBe('made-1');
    expect(handler.correlationId()).toBe('made-2');
    expect(reported).toBe(0);
    const answered = handler.handle(new Error('x'), { headers: { 'x-correlation-id': clientId } });
    expect(answered.headers['x-correlation-id']).toBe(clientId);
    const untrusted = createErrorHandler({ catalog, correlation: { trustInbound: false }, logger: false });
    expect(untrusted.correlationId({ headers: { 'x-request-id': clientId } })).not.toBe(clientId);
  });
});
