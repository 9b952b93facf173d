import { roleError } from '../../catalog/role-error.js';
import type { BuiltinRole } from '../../catalog/standard.js';
import { read, safely } from '../kit/safe.js';

// body-parser and raw-body error types, for apps that keep `express.json()` beside faultline's reader.
const roleOfType: Readonly<Record<string, BuiltinRole>> = {
  'entity.parse.failed': 'malformedJson',
  'entity.too.large': 'bodyTooLarge',
  'parameters.too.many': 'bodyTooLarge',
  'charset.unsupported': 'unsupportedMediaType',
  // A `verify` callback's refusal (a webhook signature): its message may name what a forger needs.
  'entity.verify.failed': 'forbidden',
  'request.aborted': 'badRequest',
  'request.size.invalid': 'badRequest',
  'stream.encoding.set': 'internalError',
  'stream.not.readable': 'internalError',
};

/**
 * Translates Express's own errors into built-in catalog errors: body-parser's typed errors and the
 * router's failure to decode a path parameter. Anything else is returned untouched.
 */
function translateThrown(thrown: unknown): unknown {
  const type = read(thrown, 'type');
  const role = typeof type === 'string' ? roleOfType[type] : undefined;
  // A content coding body-parser does not inflate is refused as faultline's reader refuses one.
  if (type === 'encoding.unsupported') {
    return roleError('unsupportedMediaType', {
      headers: { 'accept-encoding': 'identity' },
      specific: 'The request content encoding is not supported.',
      cause: thrown,
    });
  }
  if (role === 'unsupportedMediaType') {
    return roleError(role, {
      headers: { accept: 'application/json' },
      cause: thrown,
    });
  }
  // A body zlib could not inflate, which body-parser passes on as an exposed 400 with zlib's own text.
  const code = read(thrown, 'code');
  if (type === undefined && typeof code === 'string' && code.startsWith('Z_')) {
    return roleError('badRequest', { specific: 'The request body could not be decoded.', cause: thrown });
  }
  if (role !== undefined) return roleError(role, { cause: thrown });
  // The router's `decodeURIComponent` of a parameter: a 400 whose message quotes the raw path.
  if (thrown instanceof URIError && read(thrown, 'status') === 400) {
    return roleError('badRequest', {
      specific: 'The request path is malformed.',
      cause: thrown,
    });
  }
  return thrown;
}

/** Translates a thrown value, never throwing itself (see `safely`). */
export const translate = safely(translateThrown);
