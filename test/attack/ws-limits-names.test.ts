import { defineErrors, wsDefinitions } from 'faultline';
import { memoryStore } from 'faultline/stores';
import { createWsErrors } from 'faultline/ws';
import { expect, it } from 'vitest';

// Two WebSocket endpoints whose limits keep their state on the app's one store, under the default prefix,
// shared a session's budget: its chat connection took the only slot of its feed. The second is refused
// when it is made; a prefix of its own keeps each apart, and one prefix given to both shares on purpose.
const catalog = defineErrors({ ...wsDefinitions });
const endpoint = (limits: NonNullable<Parameters<typeof createWsErrors>[0]>['limits']) =>
  createWsErrors({ errors: { catalog }, authenticate: () => ({ key: 's' }), limits });

function refusal(make: () => { server: { close(): void } }): { code?: string; message: string } | undefined {
  try {
    make().server.close();
    return undefined;
  } catch (error) {
    return error as { code?: string; message: string };
  }
}

it('refuses a second endpoint whose connection limit would share the first one’s slots', () => {
  const store = memoryStore();
  endpoint({ connections: { max: 1, store } }).server.close();
  const error = refusal(() => endpoint({ connections: { max: 1, store } }));
  expect(error?.code).toBe('FAULTLINE_INVALID_OPTION');
  expect(error?.message).toContain('prefix');
  expect(refusal(() => endpoint({ connections: { max: 1, store, prefix: 'feed:conn:' } }))).toBeUndefined();
});

it('refuses a second endpoint whose message rate would share the first one’s budget', () => {
  const store = memoryStore();
  endpoint({ rate: { limit: 5, store } }).server.close();
  expect(refusal(() => endpoint({ rate: { limit: 50, store } }))?.code).toBe('FAULTLINE_INVALID_OPTION');
  expect(refusal(() => endpoint({ rate: { limit: 50, store, prefix: 'feed:rate:' } }))).toBeUndefined();
});

it('lets two endpoints share on purpose under one prefix given to both, and each default store alone', () => {
  const store = memoryStore();
  const shared = { max: 2, store, prefix: 'app:conn:' };
  expect(refusal(() => endpoint({ connections: shared }))).toBeUndefined();
  expect(refusal(() => endpoint({ connections: shared }))).toBeUndefined();
  expect(refusal(() => endpoint({ connections: { max: 1 }, rate: { limit: 5 } }))).toBeUndefined();
  expect(refusal(() => endpoint({ connections: { max: 1 }, rate: { limit: 5 } }))).toBeUndefined();
});
