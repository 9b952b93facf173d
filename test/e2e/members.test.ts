import { createServer } from 'node:http';
import { defineErrors } from 'faultline';
import { parseErrorResponse } from 'faultline/client';
import { commonFormats } from 'faultline/format';
import { createNodeErrors } from 'faultline/node';
import { createErrorHandler } from 'faultline/server';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { close, listen } from '../helpers/http.js';

const errors = defineErrors({
  CONFERENCE_NAME_TAKEN: {
    status: 409,
    message: 'Conference name already taken',
    details: z.object({ room_id: z.string() }),
    members: ['room_id'],
  },
});

describe('per-code envelope members on the wire', () => {
  it.each([
    ['problem+json', commonFormats.problemJson],
    ['a message-only envelope', commonFormats.message],
  ])('the server writes a declared member at the top level of %s', (_, format) => {
    const handler = createErrorHandler({ catalog: errors, format, logger: false });
    const answer = handler.handle(errors.create('CONFERENCE_NAME_TAKEN', { room_id: 'r1' }), {
      method: 'POST',
      url: '/rooms',
    });
    expect(answer.status).toBe(409);
    expect(JSON.parse(answer.body as string)).toMatchObject({ room_id: 'r1' });
  });

  const servers: ReturnType<typeof createServer>[] = [];
  afterAll(async () => {
    for (const server of servers) await close(server);
  });

  it('a real node server sends the member, and the client reads it back typed', async () => {
    const handle = createNodeErrors({ catalog: errors, format: commonFormats.message, logger: false });
    const server = createServer(
      handle(() => {
        throw errors.create('CONFERENCE_NAME_TAKEN', { room_id: 'room-7' });
      }),
    );
    servers.push(server);
    const response = await fetch(`${await listen(server)}/rooms`, { method: 'POST' });
    const error = await parseErrorResponse(response, { catalog: errors, formats: [commonFormats.message] });
    expect(error.status).toBe(409);
    expect(error.code).toBe('CONFERENCE_NAME_TAKEN');
    expect(error.members).toEqual({ room_id: 'room-7' });
  });
});
