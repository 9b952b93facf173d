/** The catalog the browser test's server answers with and its page's client types errors by. */
import { defineErrors } from 'faultline';
import * as z from 'zod';

export const errors = defineErrors({
  SESSION_NOT_FOUND: {
    status: 404,
    message: 'Session {sessionId} not found',
    details: z.object({ sessionId: z.string() }),
  },
});
