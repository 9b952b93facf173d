import { type Catalog, defineErrors, wsDefinitions } from 'faultline';
import { afterEach, describe, expect, it } from 'vitest';
import { type Served, serve, watch } from './ws-helpers.js';

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

/** What an endpoint of `catalog` answers to each text message, in order. */
async function answers(catalog: Catalog<any>, texts: readonly string[]) {
  served = await serve({ errors: { catalog, logger: false }, on: { ping: () => undefined } });
  const client = watch(served.url);
  await client.opened;
  const seen: { code: string; message: string }[] = [];
  for (const text of texts) {
    client.socket.send(text);
    const event = await client.next();
    seen.push({ code: event.error.code, message: event.error.message });
  }
  client.socket.close();
  return seen;
}

const notJson = 'The request body is not valid JSON.';
const untyped = 'The message is not a JSON object with a string "type" field.';

describe('a message that is JSON but no typed object', () => {
  it('is told apart from text that is no JSON, where the catalog keeps the shipped message', async () => {
    // No WebSocket entries: the HTTP code of the same meaning answers, whose shipped text speaks of JSON only.
    expect(await answers(defineErrors({}), ['{not json', '{}', '[]', 'null', '{"type":1}'])).toEqual([
      { code: 'MALFORMED_JSON', message: notJson },
      ...Array(4).fill({ code: 'MALFORMED_JSON', message: untyped }),
    ]);
    expect(await answers(defineErrors({ ...wsDefinitions }), ['{not json', '{}'])).toEqual([
      { code: 'MESSAGE_MALFORMED', message: 'The message is not valid JSON or has no type.' },
      { code: 'MESSAGE_MALFORMED', message: untyped },
    ]);
  });

  it("keeps a catalog's own message for both", async () => {
    const own = defineErrors({
      BAD_EVENT: { status: 400, message: 'Unknown event', roles: ['messageMalformed'] },
    });
    expect(await answers(own, ['{not json', '{}'])).toEqual(
      Array(2).fill({ code: 'BAD_EVENT', message: 'Unknown event' }),
    );
  });
});

describe('a message after a byte-order mark', () => {
  it('reads the JSON after one BOM, as the HTTP readers do, and refuses a second as malformed', async () => {
    const seen = await answers(defineErrors({ ...wsDefinitions }), [
      '\uFEFF{"type":"nope"}',
      '\uFEFF\uFEFF{"type":"nope"}',
    ]);
    expect(seen.map((event) => event.code)).toEqual(['MESSAGE_TYPE_UNKNOWN', 'MESSAGE_MALFORMED']);
  });
});
