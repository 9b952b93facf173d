/**
 * Google sign-in for the seeds: an ID token is trusted only once `jose` has checked its signature against
 * keys the operator configured (Google's JWKS URL, or one PEM public key), its audience (the OAuth client
 * id), its issuer and its expiry. No key ships with the code: unconfigured, every sign-in is refused.
 */
import { type CryptoKey, createRemoteJWKSet, importSPKI, type JWTVerifyGetKey, jwtVerify } from 'jose';

/** Where the keys come from, and what a token must name. */
export interface GoogleSignInOptions {
  /** The OAuth client id: a token must name it as its audience (`aud`). */
  clientId: string;
  /** A JWKS URL, in production `https://www.googleapis.com/oauth2/v3/certs`. */
  jwksUrl?: string;
  /** Or one public key, PEM (SPKI), for a deployment that pins it (and for tests). */
  publicKey?: string;
  /** The accepted `iss` values. @default ['https://accounts.google.com', 'accounts.google.com'] */
  issuers?: readonly string[];
}

/** Who a verified token names. */
export interface GoogleIdentity {
  /** Google's stable account id. */
  readonly sub: string;
  readonly email: string;
  /** Whether Google says the address is verified. */
  readonly emailVerified: boolean;
}

/** A verification result: an identity, or why not (each seed answers its own page's code). */
export type GoogleVerdict =
  | { readonly ok: true; readonly identity: GoogleIdentity }
  | {
      readonly ok: false;
      /** `invalid-token`: the caller's fault; the others: the operator's or Google's. */
      readonly reason: 'invalid-token' | 'not-configured' | 'provider-unavailable';
      readonly cause?: unknown;
    };

/** What verifies ID tokens for one seed. */
export interface GoogleSignIn {
  /** Verifies `idToken` as of `now` (ms since the epoch, the seed's clock). */
  verify(idToken: unknown, now: number): Promise<GoogleVerdict>;
}

/**
 * Reads the configuration from the environment: `GOOGLE_CLIENT_ID` and one of `GOOGLE_JWKS_URL` or
 * `GOOGLE_PUBLIC_KEY` (PEM); `GOOGLE_ISSUER` overrides the accepted issuers (comma-separated). Undefined
 * when incomplete: sign-in stays off rather than half-checked.
 */
export function googleSignInFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): GoogleSignInOptions | undefined {
  const clientId = env.GOOGLE_CLIENT_ID?.trim();
  const jwksUrl = env.GOOGLE_JWKS_URL?.trim();
  const publicKey = env.GOOGLE_PUBLIC_KEY?.trim();
  if (!clientId || (!jwksUrl && !publicKey)) return undefined;
  const issuers = env.GOOGLE_ISSUER?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    clientId,
    ...(jwksUrl ? { jwksUrl } : { publicKey: publicKey! }),
    ...(issuers?.length ? { issuers } : {}),
  };
}

const googleIssuers = ['https://accounts.google.com', 'accounts.google.com'];
/** Google signs ID tokens with RS256; accepting only it rules out `none` and HMAC-with-the-public-key. */
const algorithms = ['RS256'];
/** Far beyond any real ID token (about 1 KB): bigger input is refused before any parsing. */
const maxTokenLength = 8192;
// jose's codes for a token that is malformed, forged, for someone else or out of date: the caller's fault.
const tokenFaults = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);

/** A verifier over `options`; without options every token answers `not-configured`. */
export function googleSignIn(options: GoogleSignInOptions | undefined): GoogleSignIn {
  if (!options) return { verify: async () => ({ ok: false, reason: 'not-configured' }) };
  let keys: Promise<CryptoKey | JWTVerifyGetKey> | undefined;
  const resolveKeys = () => {
    keys ??= options.jwksUrl
      ? Promise.resolve(createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 3000 }))
      : importSPKI(options.publicKey ?? '', 'RS256');
    return keys;
  };
  return {
    async verify(idToken, now) {
      if (typeof idToken !== 'string' || idToken.length === 0 || idToken.length > maxTokenLength)
        return { ok: false, reason: 'invalid-token' };
      let key: CryptoKey | JWTVerifyGetKey;
      try {
        key = await resolveKeys();
      } catch (cause) {
        return { ok: false, reason: 'not-configured', cause };
      }
      try {
        const checks = {
          algorithms,
          audience: options.clientId,
          issuer: [...(options.issuers ?? googleIssuers)],
          requiredClaims: ['sub', 'email', 'iat', 'exp'],
          currentDate: new Date(now),
          // Google's tokens live an hour; this also refuses one issued in the future.
          maxTokenAge: '1h',
          clockTolerance: 30,
        };
        const { payload } =
          typeof key === 'function'
            ? await jwtVerify(idToken, key, checks)
            : await jwtVerify(idToken, key, checks);
        if (typeof payload.sub !== 'string' || typeof payload.email !== 'string' || payload.email === '')
          return { ok: false, reason: 'invalid-token' };
        return {
          ok: true,
          identity: {
            sub: payload.sub,
            email: payload.email,
            emailVerified: payload.email_verified === true,
          },
        };
      } catch (cause) {
        const code = (cause as { code?: unknown } | null)?.code;
        if (typeof code === 'string' && tokenFaults.has(code))
          return { ok: false, reason: 'invalid-token', cause };
        return { ok: false, reason: 'provider-unavailable', cause };
      }
    },
  };
}
