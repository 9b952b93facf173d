/**
 * Seed 004's global hard-block list (page 004, CALL_BLOCKED): no outbound call reaches an emergency number
 * of a country a workspace may enable, however the number is written. The seed runs in this process with a
 * stand-in telephony provider that records what it is asked to dial; everything else is over HTTP.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../../examples/seeds/004/app.js';
import { newPassword, seedClient, startDialRecorder, testHashCost } from './004-server.js';

/** The destinations the provider was asked to dial. */
const dialled: string[] = [];
/** What the provider was asked to dial while `body` ran. */
async function dialledDuring(body: () => Promise<void>): Promise<string[]> {
  const before = dialled.length;
  await body();
  return dialled.slice(before);
}
let provider: Server;
let running: Awaited<ReturnType<typeof start>>;
const { request, answer, login } = seedClient(() => running.url);
let at = '';
let token = '';
let agent = '';

const dial = (to: string) =>
  answer(request('POST', `${at}/calls`, { token, body: { from: '+14155550001', to, agent } }));

/** Posts `body` to `path` of the workspace and expects `status`. */
async function expectPost(path: string, body: unknown, status = 201) {
  const made = await answer(request('POST', `${at}${path}`, { token, body }));
  expect(made.status, made.text).toBe(status);
  return made.body;
}

beforeAll(async () => {
  provider = await startDialRecorder(dialled);
  const { port } = provider.address() as { port: number };
  running = await start(0, {
    providerUrl: `http://127.0.0.1:${port}`,
    log: () => {},
    callBurst: 1000,
    callQuota: { trial: { day: 1000, month: 1000 }, active: { day: 1000, month: 1000 } },
    passwordHashCost: testHashCost,
  });
  const password = newPassword();
  await running.seed.identity.addUser('owner@example.com', password);
  token = await login('owner@example.com', password);
  const made = await answer(request('POST', '/workspaces', { token, body: { name: 'Calls' } }));
  at = `/workspaces/${made.body.id}`;
  const provided = await answer(
    request('PUT', `${at}/provider`, { token, body: { id: 'twilio', credential: 'AC-test' } }),
  );
  expect(provided.status, provided.text).toBe(200);
  await expectPost('/numbers', { number: '+14155550001' });
  agent = (await expectPost('/agents', { name: 'Dialler', voice: 'alloy' })).id as string;
  for (const country of ['fr', 'de', 'au'])
    await expectPost(`/outbound-destinations/${country}/enable`, {}, 200);
});

afterAll(async () => {
  await running?.close();
  await new Promise((resolve) => provider?.close(resolve));
});

const hardBlock = { success: false, code: 'CALL_BLOCKED', details: { reason: 'hard_block' } };

describe('seed 004: the global hard-block list', () => {
  /** Dials each of `numbers`, expecting `status` and a body like `body`: what the provider was asked to dial. */
  const dialEach = (numbers: readonly string[], status: number, body: object) =>
    dialledDuring(async () => {
      for (const to of numbers) {
        const answered = await dial(to);
        expect([to, answered.status]).toEqual([to, status]);
        expect(answered.body).toMatchObject(body);
      }
    });

  it('refuses the emergency numbers of every country a workspace may enable with CALL_BLOCKED (hard_block)', async () => {
    const emergency = {
      US: ['+1911', '+1112'],
      GB: ['+44999', '+44112'],
      FR: ['+3315', '+3317', '+3318', '+33112', '+33114', '+33115', '+33119', '+33191', '+33196', '+33197'],
      DE: ['+49110', '+49112'],
      AU: ['+61000', '+61112', '+61106'],
    };
    for (const numbers of Object.values(emergency))
      expect(await dialEach(numbers, 403, hardBlock)).toEqual([]);
  });

  it('refuses them with trunk zeros after the calling code or digits after the number', async () => {
    const zeros = ['+330112', '+3300112', '+33015', '+4400999', '+440112', '+490110', '+10911', '+610000'];
    const extended = [
      '+19110',
      '+191112345',
      '+449991',
      '+331121',
      '+33150',
      '+4911012',
      '+6100012',
      '+611061',
    ];
    expect(await dialEach([...zeros, ...extended], 403, hardBlock)).toEqual([]);
  });

  it('dials no emergency number written with spaces, dashes or an extension: the destination is refused', async () => {
    const written = ['+33 112', '+1-911', '+44 999', '+33112;ext=1', '+33112x1', '+33112,1', '+61000#'];
    expect(await dialEach(written, 400, { code: 'VALIDATION_FAILED' })).toEqual([]);
  });

  it('dials full national numbers of every enabled country, those beginning with an emergency number too', async () => {
    const numbers = [
      '+14155550100',
      '+442079460000',
      // Paris numbers: 01 55, 01 70 and 01 80, which begin with 15, 17 and 18 once the trunk 0 is gone.
      '+33155551234',
      '+33170361234',
      '+33180401234',
      '+330142685300',
      '+493012345678',
      '+61291234567',
      '+610412345678',
    ];
    expect(await dialEach(numbers, 201, {})).toEqual(numbers);
  });
});
