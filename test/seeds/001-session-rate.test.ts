/**
 * Seed 001's page: HTTP is rate limited per session. The session's budget is the session's, however its id
 * is spelled in the path: `%30c55…` is the same session as `0c55…`, and must not get a budget of its own.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { start } from '../../examples/seeds/001/app.js';

let running: Awaited<ReturnType<typeof start>>;
let bearer: string;

beforeAll(async () => {
  running = await start(0, { log: () => {}, sessionRate: 3 });
  const { token } = running.seed.messaging.addConnector({ host: 'example.com' });
  const issued = await fetch(`${running.url}/api/v1/access-token`, {
    method: 'POST',
    headers: { 'x-token': token, 'x-host': 'example.com' },
  });
  bearer = `Bearer ${((await issued.json()) as { access_token: string }).access_token}`;
});
afterAll(() => running?.close());

const get = async (path: string) => {
  const res = await fetch(`${running.url}${path}`, { headers: { authorization: bearer } });
  await res.arrayBuffer();
  return res.status;
};

it('spends one budget per session, whatever percent-encoding spells its id', async () => {
  const created = await fetch(`${running.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { authorization: bearer },
  });
  const { session_id: id } = (await created.json()) as { session_id: string };
  const encoded = (text: string) => [...text].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
  const spellings = [id, `${encoded(id.slice(0, 1))}${id.slice(1)}`, encoded(id)];
  for (let i = 0; i < 3; i++) expect(await get(`/api/v1/sessions/${id}`)).toBe(200);
  // Before: each spelling of the id was a key of its own, with a fresh budget of three.
  for (const spelling of spellings) expect(await get(`/api/v1/sessions/${spelling}`), spelling).toBe(429);
});
