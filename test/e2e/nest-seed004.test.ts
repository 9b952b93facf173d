import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, format } from '../../examples/reference/004.js';
import { sendRaw } from '../helpers/raw.js';
import { expectRow, type Observed, observe, rowsOf } from '../seeds/harness.js';
import { type NestApp, type Platform, startNestApp } from './nest-app.js';
import { held, placed, WorkspacesController } from './nest-seed004-app.js';

const platforms: Platform[] = ['express', 'fastify'];
const contract = { catalog: errors, format, correlationHeader: 'x-request-id' };
const rows = new Map(rowsOf('004').map(({ key, row }) => [key, row]));
/** Asserts that an answer is the page's row for `code`: status, code, message and the envelope's shape. */
async function expectPageRow(code: string, observed: Observed): Promise<Record<string, unknown>> {
  const row = rows.get(code);
  expect(row, code).toBeDefined();
  await expectRow(contract, row!, observed);
  return JSON.parse(observed.kind === 'http' ? observed.body : 'null') as Record<string, unknown>;
}

/** Waits (at most 5 s) until `count` calls are held in the handler. */
async function untilHeld(count: number): Promise<void> {
  for (let i = 0; i < 250 && held.length < count; i++) await new Promise((r) => setTimeout(r, 20));
  expect(held.length).toBe(count);
}

describe.each(platforms)("seed 004's gates and idempotency in Nest on platform-%s", (platform) => {
  let nest: NestApp;
  const call = (
    method: string,
    path: string,
    token?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${nest.base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const dial = (ws: string, body: unknown, key?: string, token = 'tok-verified') =>
    call('POST', `/workspaces/${ws}/calls`, token, body, key === undefined ? {} : { 'idempotency-key': key });
  beforeAll(async () => {
    nest = await startNestApp(platform, {
      catalog: errors,
      handler: { format },
      guards: [],
      controllers: [WorkspacesController],
    });
  });
  afterAll(async () => {
    for (const release of held.splice(0)) release();
    await nest?.app.close();
  });

  describe('VerifiedUserGuard and SubscriptionGuard, as the page documents them', () => {
    it('answers an unverified user on a workspace-scoped endpoint with 403 EMAIL_VERIFICATION_REQUIRED', async () => {
      for (const path of ['/workspaces', '/workspaces/ws_active/calls']) {
        const answer = await observe(call('POST', path, 'tok-unverified', { name: 'x', to: '+1' }));
        expect(answer.kind === 'http' && answer.status).toBe(403);
        expect(await expectPageRow('EMAIL_VERIFICATION_REQUIRED', answer)).toEqual({
          success: false,
          code: 'EMAIL_VERIFICATION_REQUIRED',
          error: 'Verify your email address to continue',
        });
      }
    });

    it('answers a workspace without a trial or active plan with 402 SUBSCRIPTION_REQUIRED', async () => {
      const answer = await observe(dial('ws_canceled', { to: '+14155550100' }));
      expect(answer.kind === 'http' && answer.status).toBe(402);
      expect(await expectPageRow('SUBSCRIPTION_REQUIRED', answer)).toEqual({
        success: false,
        code: 'SUBSCRIPTION_REQUIRED',
        error: 'Choose a plan to continue',
      });
    });

    it('runs VerifiedUserGuard before SubscriptionGuard: an unverified user of a canceled workspace gets 403', async () => {
      const answer = await observe(dial('ws_canceled', { to: '+1' }, undefined, 'tok-unverified'));
      expect((await expectPageRow('EMAIL_VERIFICATION_REQUIRED', answer)).code).toBe(
        'EMAIL_VERIFICATION_REQUIRED',
      );
    });

    it('admits a verified user of a trial or active workspace', async () => {
      for (const ws of ['ws_trial', 'ws_active']) {
        const answer = await dial(ws, { to: '+14155550100' });
        expect(answer.status, ws).toBe(201);
        expect(await answer.json()).toMatchObject({ workspace: ws });
      }
      expect((await call('POST', '/workspaces', 'tok-verified', { name: 'Mine' })).status).toBe(201);
    });

    it('answers EntitlementGuard, a Nest guard throwing the catalog error, with 402 and its details', async () => {
      const denied = await observe(call('PUT', '/workspaces/ws_trial/branding', 'tok-verified'));
      expect(await expectPageRow('ENTITLEMENT_REQUIRED', denied)).toEqual({
        success: false,
        code: 'ENTITLEMENT_REQUIRED',
        error: 'Upgrade to unlock this feature',
        details: { entitlement: 'branding' },
      });
      expect((await call('PUT', '/workspaces/ws_active/branding', 'tok-verified')).status).toBe(200);
    });

    it('answers no session, a forged scheme or duplicated credentials with 401, never admitting them', async () => {
      for (const headers of [
        '',
        'Authorization: Basic tok-verified\r\n',
        'Authorization: Bearer tok-unknown\r\n',
        'Authorization: Bearer tok-verified\r\nAuthorization: Bearer tok-unverified\r\n',
      ]) {
        const answer = await sendRaw(nest.base, [
          `POST /workspaces/ws_active/calls HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
        ]);
        // Node keeps the first of duplicated Authorization fields: the verified session, admitted as itself.
        if (headers.includes('tok-unverified')) expect(answer.status).toBe(201);
        else {
          expect(answer.status, headers).toBe(401);
          expect(JSON.parse(answer.body)).toEqual({
            success: false,
            code: 'UNAUTHORIZED',
            error: errors.get('UNAUTHORIZED')!.message,
          });
        }
      }
    });

    it('answers an unknown workspace with the not-found code, whatever its id', async () => {
      // A parameter past Fastify's `maxParamLength` is refused by its router before Nest runs: only
      // `new FastifyAdapter({ frameworkErrors })` answers it in the catalog (see nest.test.ts).
      for (const ws of ['nope', '..%2f..%2fetc', 'x'.repeat(90), '%00']) {
        const answer = await observe(dial(ws, {}));
        if (answer.kind !== 'http') throw new Error('no answer');
        expect([400, 404], ws.slice(0, 20)).toContain(answer.status);
        expect(answer.body).not.toMatch(/\bat .+:\d+:\d+|node_modules/);
        expect(errors.get(JSON.parse(answer.body).code)?.status).toBe(answer.status);
      }
    });
  });

  describe('Idempotency-Key through FaultlineGuard', () => {
    const key = (name: string) => `${platform}-${name}`;

    it('runs the first POST, then replays it byte for byte on a retry with the same key and body', async () => {
      const before = placed.count;
      const first = await dial('ws_active', { to: '+14155550177' }, key('replay'));
      const firstBody = await first.text();
      expect(first.status).toBe(201);
      const again = await dial('ws_active', { to: '+14155550177' }, key('replay'));
      expect(again.status).toBe(201);
      expect(await again.text()).toBe(firstBody);
      expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(placed.count).toBe(before + 1);
      // The key is the workspace's: another workspace with the same key runs its own call.
      expect(
        (await dial('ws_trial', { to: '+14155550177' }, key('replay'))).headers.get('idempotent-replayed'),
      ).toBeNull();
    });

    it('answers the same key with a different body with 422 IDEMPOTENCY_KEY_REUSED', async () => {
      expect((await dial('ws_active', { to: '+14155550111' }, key('reused'))).status).toBe(201);
      const reused = await observe(dial('ws_active', { to: '+14155550122' }, key('reused')));
      expect(reused.kind === 'http' && reused.status).toBe(422);
      expect(await expectPageRow('IDEMPOTENCY_KEY_REUSED', reused)).toEqual({
        success: false,
        code: 'IDEMPOTENCY_KEY_REUSED',
        error: 'This idempotency key was already used with a different request body',
      });
    });

    it('answers concurrent duplicates with 409 while the first runs, then replays the first', async () => {
      const before = placed.count;
      const body = { to: '+14155550502', hold: true };
      const first = dial('ws_active', body, key('in-flight'));
      await untilHeld(1);
      const duplicates = await Promise.all(
        Array.from({ length: 5 }, () => dial('ws_active', body, key('in-flight'))),
      );
      for (const duplicate of duplicates) {
        expect(duplicate.status).toBe(409);
        expect(await duplicate.json()).toEqual({
          success: false,
          code: 'IDEMPOTENCY_IN_FLIGHT',
          error: errors.get('IDEMPOTENCY_IN_FLIGHT')!.message,
        });
      }
      held.shift()!();
      const done = await first;
      expect(done.status).toBe(201);
      const firstBody = await done.text();
      const retry = await dial('ws_active', body, key('in-flight'));
      expect(await retry.text()).toBe(firstBody);
      expect(placed.count).toBe(before + 1);
    });

    it('answers a malformed, oversized or duplicated key with 400, never running the call', async () => {
      const before = placed.count;
      for (const value of ['k'.repeat(300), '"unterminated', 'a b']) {
        const answer = await dial('ws_active', { to: '+1' }, value);
        expect(answer.status, value.slice(0, 20)).toBe(400);
        expect((await answer.json()).code).toBe('BAD_REQUEST');
      }
      const duplicated = await sendRaw(nest.base, [
        'POST /workspaces/ws_active/calls HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer tok-verified\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
      ]);
      expect(duplicated.status).toBe(400);
      expect(placed.count).toBe(before);
    });

    it('runs once a call whose client went away: the retry replays its answer, no 409 forever', async () => {
      const { port } = new URL(nest.base);
      const payload = JSON.stringify({ to: '+14155550999', hold: true });
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      socket.write(
        `POST /workspaces/ws_active/calls HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-verified\r\nIdempotency-Key: ${key('gone')}\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n${payload}`,
      );
      await untilHeld(1);
      socket.destroy();
      await new Promise((r) => setTimeout(r, 50));
      held.shift()!();
      let retry: Response | undefined;
      for (let i = 0; i < 50; i++) {
        retry = await dial('ws_active', { to: '+14155550999', hold: true }, key('gone'));
        if (retry.status !== 409) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // The call ran once, for the caller that hung up; the retry gets its answer (IETF draft, Stripe).
      expect(retry!.status).toBe(201);
      expect(retry!.headers.get('idempotent-replayed')).toBe('true');
      expect(await retry!.json()).toMatchObject({ workspace: 'ws_active', to: '+14155550999' });
    });
  });
});
