/**
 * Seed 004's Do-Not-Call list (page 004, CALL_BLOCKED with `details.reason` `dnc`): a number on the list is
 * refused however the dial writes it, with the trunk zeros after the calling code or digits past the full
 * national number that a switch does not route on. The seed runs in this process with a stand-in telephony
 * provider that records what it is asked to dial; everything else is over HTTP.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../../examples/seeds/004/app.js';
import { newPassword, seedClient, startDialRecorder, testHashCost } from './004-server.js';

/** The destinations the provider was asked to dial. */
const dialled: string[] = [];
let provider: Server;
let running: Awaited<ReturnType<typeof start>>;
const { request, answer, login } = seedClient(() => running.url);
let token = '';

/** Posts `body` to `path` and expects `status`; the answer's body. */
async function expectPost(path: string, body: unknown, status = 201) {
  const made = await answer(request('POST', path, { token, body }));
  expect(made.status, made.text).toBe(status);
  return made.body;
}

let workspaces = 0;
/**
 * A new workspace that can dial to every country it may enable: its path, agent and number (a number is
 * one workspace's at a time, so each has its own).
 */
async function workspace(): Promise<{ at: string; agent: string; from: string }> {
  const from = `+1415555${String(1000 + workspaces++)}`;
  const at = `/workspaces/${(await expectPost('/workspaces', { name: 'Calls' })).id}`;
  const provided = await answer(
    request('PUT', `${at}/provider`, { token, body: { id: 'twilio', credential: 'AC-test' } }),
  );
  expect(provided.status, provided.text).toBe(200);
  await expectPost(`${at}/numbers`, { number: from });
  const agent = (await expectPost(`${at}/agents`, { name: 'Dialler', voice: 'alloy' })).id as string;
  for (const country of ['gb', 'fr', 'de', 'au'])
    await expectPost(`${at}/outbound-destinations/${country}/enable`, {}, 200);
  return { at, agent, from };
}

/** Dials each of `numbers` from `place`, expecting `status` and a body like `body`: what was dialled. */
async function dialEach(
  place: { at: string; agent: string; from: string },
  numbers: readonly string[],
  status: number,
  body: object = {},
): Promise<string[]> {
  const before = dialled.length;
  for (const to of numbers) {
    const answered = await answer(
      request('POST', `${place.at}/calls`, { token, body: { from: place.from, to, agent: place.agent } }),
    );
    expect([to, answered.status]).toEqual([to, status]);
    expect(answered.body).toMatchObject(body);
  }
  return dialled.slice(before);
}

beforeAll(async () => {
  provider = await startDialRecorder(dialled);
  const { port } = provider.address() as { port: number };
  running = await start(0, {
    providerUrl: `http://127.0.0.1:${port}`,
    log: () => {},
    callBurst: 1000,
    callQuota: { trial: { day: 1000, month: 1000 }, active: { day: 1000, month: 1000 } },
    // One of each per workspace: a second writing of a listed number must take no room.
    workspaceItemsMax: 1,
    passwordHashCost: testHashCost,
  });
  const password = newPassword();
  await running.seed.identity.addUser('owner@example.com', password);
  token = await login('owner@example.com', password);
});

afterAll(async () => {
  await running?.close();
  await new Promise((resolve) => provider?.close(resolve));
});

const dnc = { success: false, code: 'CALL_BLOCKED', details: { reason: 'dnc' } };

describe('seed 004: the Do-Not-Call list', () => {
  /** Each listed number, as added, and other writings of it that dial the same subscriber. */
  const writings: [listed: string, others: string[]][] = [
    ['+442079460000', ['+442079460000', '+4402079460000', '+44002079460000', '+4420794600001']],
    ['+330142685300', ['+33142685300', '+330142685300', '+331426853009']],
    // German numbers vary in length: past the longest, 11 national digits, the rest is not the number.
    ['+4930123456789', ['+49030123456789', '+4930123456789', '+493012345678901']],
    ['+61291234567', ['+610291234567', '+612912345670']],
    ['+14155550199', ['+14155550199', '+104155550199', '+141555501991']],
  ];

  it.each(writings)(
    'refuses %s with CALL_BLOCKED (dnc) however the dial writes it',
    async (listed, others) => {
      const place = await workspace();
      await expectPost(`${place.at}/dnc`, { number: listed });
      expect(await dialEach(place, others, 403, dnc)).toEqual([]);
    },
  );

  it('takes no room for a listed number added again in another writing', async () => {
    const place = await workspace();
    await expectPost(`${place.at}/dnc`, { number: '+442079460000' });
    await expectPost(`${place.at}/dnc`, { number: '+4402079460000' });
    await expectPost(`${place.at}/dnc`, { number: '+14155550199' }, 429);
  });

  it('dials the numbers beside a listed one, and a shorter one with more digits', async () => {
    const place = await workspace();
    // A German number of 9 national digits: with one more it is another subscriber's.
    await expectPost(`${place.at}/dnc`, { number: '+49301234567' });
    const others = ['+49301234568', '+493012345678', '+4930123456'];
    expect(await dialEach(place, others, 201)).toEqual(others);
  });
});
