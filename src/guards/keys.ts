import { FaultlineConfigError } from '../catalog/config-error.js';
import type { Awaitable } from '../stores/types.js';
import { admitted, compileFailure } from './failure.js';
import { identityHeader } from './header.js';
import { raise } from './raise.js';
import type { FailurePolicy, Guard, GuardRequest } from './types.js';
import { equalBytes, randomBytes, sha256 } from './web-crypto.js';

type Digests = Promise<readonly Uint8Array[]>;

/** The SHA-256 digests of `keys`, computed on first use (Workers allow no crypto at module load), then kept. */
function digestsOf(keys: readonly string[]): () => Digests {
  let digests: Digests | undefined;
  return () => {
    // A digest that failed is not kept: the next request computes it again.
    digests ??= Promise.all(keys.map(sha256)).catch((error: unknown) => {
      digests = undefined;
      throw error;
    });
    return digests;
  };
}

// Hashed and compared when no key is valid (an unknown app), so that it costs what a wrong key of a known
// app does, one digest and one comparison: a random text no caller knows. Drawn on first use: Workers allow
// no randomness at module load.
let decoy: string | undefined;
const decoyKey = () => {
  decoy ??= Array.from(randomBytes(32), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return decoy;
};

/**
 * True when `presented` equals one of `expected` (`valid` false: the decoy stands in for none). Both sides
 * are SHA-256 digests, so every comparison reads 32 bytes whatever the keys' lengths, with no early exit
 * (`equalBytes`); a caller cannot steer a digest's bytes one at a time, which would take SHA-256 preimages.
 */
async function matchesAny(presented: string, expected: Digests, valid = true): Promise<boolean> {
  const [hash, candidates] = await Promise.all([sha256(presented), expected]);
  let found = false;
  for (const candidate of candidates) found = equalBytes(hash, candidate) || found;
  return found && valid;
}

// A key sent on two lines, or two keys on one, is refused (400) before any comparison: see identityHeader.
function readKey(request: GuardRequest, header: string, bearer: boolean, label: string): string | undefined {
  const value = identityHeader(request.headers, header, label);
  if (!bearer || value === undefined) return value === '' ? undefined : value;
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(value);
  return match ? match[1] : '';
}

/** Options of `apiKey`. */
export interface ApiKeyOptions {
  /**
   * The header holding the key; `authorization` reads `Authorization: Bearer <key>`.
   * @default 'x-api-key'
   */
  header?: string;
  /** The valid keys, or a lookup of the keys valid for this request (e.g. this app's key). */
  keys: readonly string[] | ((request: GuardRequest) => Awaitable<string | readonly string[] | undefined>);
  /**
   * What to do when the lookup fails or times out: `closed` answers 503. A key that could not be checked
   * is never admitted: `'open'` is refused here, and a policy function's `'open'` answers `API_KEY_INVALID`.
   * @default 'closed'
   */
  onStoreError?: FailurePolicy;
  /**
   * How long the lookup may take, in ms.
   * @default 1000
   */
  storeTimeout?: number;
  /** Messages replacing the catalog's, e.g. `{ missing: 'Missing API key' }`. */
  messages?: { missing?: string; invalid?: string };
}

/**
 * Requires an API key and compares it in constant time (SHA-256 digests, compared byte by byte with no early
 * exit, by Web Crypto, so that it runs on every edge runtime); an unknown key
 * and a wrong key get the same answer, the catalog's `API_KEY_INVALID` (401); a missing key gets
 * `API_KEY_MISSING` (401); a key header sent twice, or holding a comma, `INVALID_HEADER` (400).
 * @example
 * const auth = apiKey({ keys: (r) => apps.get(headerOf(r.headers, 'x-app-id') ?? '')?.apiKey });
 */
export function apiKey(options: ApiKeyOptions): Guard {
  const label = options.header ?? 'x-api-key';
  const header = label.toLowerCase();
  const bearer = header === 'authorization';
  const { keys } = options;
  const fixed = typeof keys === 'function' ? undefined : digestsOf(keys.length > 0 ? keys : [decoyKey()]);
  if (options.onStoreError === 'open') {
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_OPTION',
      "apiKey onStoreError 'open' would admit any key while the lookup fails: use 'closed' or a function",
    );
  }
  const decide = compileFailure(options, 'lookup');
  const invalid = () => raise('apiKeyInvalid', undefined, undefined, options.messages?.invalid);

  // A wrong key is a denial returned, not thrown: a flood of guessed keys costs no rejection each.
  const verify = async (presented: string, digests: Digests, valid = true) =>
    (await matchesAny(presented, digests, valid)) ? undefined : invalid();
  const compare = (presented: string, expected: string | readonly string[] | undefined | typeof admitted) => {
    // A lookup the failure policy let through gives no key to check against: the key is not admitted.
    const list =
      expected === undefined || expected === admitted
        ? []
        : typeof expected === 'string'
          ? [expected]
          : expected;
    const valid = list.length > 0;
    return verify(presented, Promise.all((valid ? list : [decoyKey()]).map(sha256)), valid);
  };

  return {
    kind: 'apiKey',
    check({ request }) {
      const presented = readKey(request, header, bearer, label);
      if (presented === undefined)
        return raise('apiKeyMissing', undefined, undefined, options.messages?.missing);
      if (fixed) return verify(presented, fixed(), keys.length > 0);
      const expected = decide(request, () =>
        (keys as (r: GuardRequest) => Awaitable<string | readonly string[] | undefined>)(request),
      );
      return expected instanceof Promise
        ? expected.then((e) => compare(presented, e))
        : compare(presented, expected);
    },
  };
}

/** Options of `adminKey`. */
export interface AdminKeyOptions {
  /**
   * The header holding the admin key.
   * @default 'x-admin-api-key'
   */
  header?: string;
  /** The admin key; when unset or empty, admin routes answer 503 (not configured) to everyone. */
  key: string | undefined;
  /** Messages replacing the catalog's. */
  messages?: { missing?: string; invalid?: string; unconfigured?: string };
}

/**
 * Guards admin routes with one key compared in constant time; answers the catalog's `ADMIN_KEY_MISSING`
 * or `ADMIN_KEY_INVALID` (401), `INVALID_HEADER` (400) for a key header sent twice, or
 * `ADMIN_KEY_NOT_CONFIGURED` (503) when no admin key is configured.
 * @example
 * app.use('/admin', guard(adminKey({ key: process.env.ADMIN_API_KEY })));
 */
export function adminKey(options: AdminKeyOptions): Guard {
  const label = options.header ?? 'x-admin-api-key';
  const header = label.toLowerCase();
  const expected = options.key ? digestsOf([options.key]) : undefined;
  const messages = options.messages ?? {};
  return {
    kind: 'adminKey',
    check({ request }) {
      if (!expected) {
        // The catalog's text, unless the API set its own for this guard.
        return raise('adminKeyNotConfigured', undefined, undefined, messages.unconfigured);
      }
      const presented = readKey(request, header, header === 'authorization', label);
      if (presented === undefined) return raise('adminKeyMissing', undefined, undefined, messages.missing);
      return matchesAny(presented, expected()).then((match) =>
        match ? undefined : raise('adminKeyInvalid', undefined, undefined, messages.invalid),
      );
    },
  };
}
