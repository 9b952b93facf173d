import { defineErrors } from 'faultline';
import type { ErrorEvent } from 'faultline/server';
import * as z from 'zod';

/** The catalog every example adapter serves: the conformance contract. */
export const errors = defineErrors(
  {
    SESSION_NOT_FOUND: {
      status: 404,
      id: 4001,
      group: 'sessions',
      message: 'Session {sessionId} not found',
      description: 'No active session exists with the given id.',
      fix: 'Verify the session id; the session may have ended.',
      details: z.object({ sessionId: z.string() }),
    },
  },
  { groups: { sessions: { title: 'Sessions' } }, docsUrl: 'https://docs.example.com/errors#{code}' },
);

/** What a test may change in an example server. */
export interface ExampleOptions {
  /** The idle wait for the next bytes of a body, in ms. @default 10000 */
  readTimeout?: number;
  /** Called with every error answered. @default undefined (unexpected errors logged to stderr) */
  onError?: (event: ErrorEvent) => void;
}

/**
 * Another catalog's error, as a library or an older service might throw: not in the API's catalog, so
 * it is answered as the internal error and its text stays in the log.
 */
export const legacy = defineErrors({
  LEGACY_QUOTA: { status: 409, message: 'Quota of tenant acme-internal-7 exhausted' },
});

/** The body `POST /echo` takes. */
export const echoBody = z.object({ email: z.string() });
