import { roleError } from '../../catalog/role-error.js';
import { read, safely } from '../kit/safe.js';

// Hono's validator raises this exact message when a JSON body does not parse.
const malformedJsonMessage = 'Malformed JSON in request body';

/**
 * Translates Hono's `HTTPException` (matched by shape: the adapter imports no Hono code) into what the
 * core reads: the validator's malformed-JSON failure becomes the built-in code, `hono/body-limit`'s 413
 * the body-too-large code, and any other exception an http error with its status and headers, its
 * message exposed only when it was given for the client.
 */
function translateThrown(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (typeof read(error, 'getResponse') !== 'function') return error;
  const status = read(error, 'status');
  if (typeof status !== 'number') return error;
  if (error.message === malformedJsonMessage) return roleError('malformedJson', { cause: error });
  if (status === 413) return roleError('bodyTooLarge', { cause: error });
  const res = read(error, 'res') as Response | undefined;
  const headers: Record<string, string> = {};
  res?.headers.forEach((value, key) => {
    if (key !== 'content-type' && key !== 'content-length') headers[key] = value;
  });
  // A message given to HTTPException is for the client; a prepared response is Hono's own.
  return {
    status,
    message: error.message,
    expose: res === undefined && error.message !== '',
    headers,
    cause: error,
  };
}

/** Translates a thrown value, never throwing itself (see `safely`). */
export const translate = safely(translateThrown);
