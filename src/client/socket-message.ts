import { defaultMaxDepth, nestsDeeperThan } from '../format/json-depth.js';

/**
 * What a socket message holds: a text's JSON value (`json: true`), or the text itself when it is no JSON or
 * nests deeper than an error is read (an `ApiError` of it would be logged and serialized whole, and run out
 * of stack); data that is no text as it came.
 */
export function readMessage(data: unknown): { value: unknown; json: boolean } {
  if (typeof data !== 'string') return { value: data, json: true };
  if (nestsDeeperThan(data, defaultMaxDepth)) return { value: data, json: false };
  try {
    return { value: JSON.parse(data), json: true };
  } catch {
    return { value: data, json: false };
  }
}
