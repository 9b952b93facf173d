/**
 * Seed 004, probed from its reference page: the page counts the codes the API can emit, and each answer
 * carries its code's status. The seed runs in this process.
 */
import { describe, expect, it } from 'vitest';
import { sendRaw } from '../helpers/raw.js';
import { onClock } from './004-server.js';

const state = onClock();

describe('seed 004 answers a request it cannot take under a code of the page', () => {
  it('answers a transfer coding it cannot decode 400 BAD_REQUEST, not INTERNAL_ERROR at 501', async () => {
    const answer = await sendRaw(state.running.url, [
      'POST /auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    ]);
    expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({
      status: 400,
      body: { success: false, code: 'BAD_REQUEST', error: 'The request is invalid.' },
    });
  });
});
