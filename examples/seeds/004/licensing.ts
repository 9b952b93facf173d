/**
 * White-label licenses: issued signed with Ed25519 by the platform, verified offline by deployed instances
 * against the public key; expiry, revocation and a seat (activation) limit. A deployed instance whose
 * license is revoked or expires is never stopped abruptly: it keeps working for the offline grace window;
 * after it, a revoked license degrades the instance to read-only, an expired one stops it.
 */
import { createPublicKey, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { errors } from './catalog.js';

const base64url = /^[A-Za-z0-9_-]+$/;

export interface LicenseClaims {
  id: string;
  customer: string;
  expiresAt: number;
  seats: number;
}

/** What a deployed instance may do: everything, everything for a while longer, or read. */
export type LicenseMode = 'full' | 'grace' | 'read-only';
export interface Verdict {
  id: string;
  seats: number;
  active: number;
  mode: LicenseMode;
  /** When the grace window ends, while in it. */
  graceEndsAt?: string;
}

/** The page states no grace length: a week offline is what deployed validators commonly allow. */
export const defaultGrace = 7 * 86_400_000;

export class Licensing {
  /** License ids the issuer revoked, with when. */
  readonly #revoked = new Map<string, number>();
  /** The issuer's record of what it issued, by id. */
  readonly #issued = new Set<string>();
  readonly #activations = new Map<string, Set<string>>();
  /** The key deployed validators hold. */
  readonly #publicKey: KeyObject | undefined;

  constructor(
    private readonly now: () => number,
    /** The issuer's private key; `undefined` until an operator provisions it. */
    private readonly signingKey: KeyObject | undefined,
    private readonly graceMs = defaultGrace,
  ) {
    this.#publicKey = signingKey && createPublicKey(signingKey);
  }

  issue(
    customer: string,
    expiresAt: number,
    seats: number,
  ): { id: string; license: string; expiresAt: string } {
    if (!this.signingKey)
      throw errors.create('LICENSE_SIGNING_KEY_MISSING', undefined, {
        cause: new Error('license_signing credential missing'),
      });
    const claims: LicenseClaims = { id: randomUUID(), customer, expiresAt, seats };
    const payload = Buffer.from(JSON.stringify(claims));
    this.#issued.add(claims.id);
    return {
      id: claims.id,
      license: `${payload.toString('base64url')}.${sign(null, payload, this.signingKey).toString('base64url')}`,
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  /** The issuer revokes a license by id; deployed instances learn it when they next check in. */
  revoke(id: string): { id: string; revokedAt: string } {
    if (!this.#issued.has(id)) throw errors.create('RESOURCE_NOT_FOUND');
    const at = this.#revoked.get(id) ?? this.now();
    this.#revoked.set(id, at);
    return { id, revokedAt: new Date(at).toISOString() };
  }

  /**
   * Activates an instance, or checks in one already activated (the deployed validator's periodic check):
   * signature first, then expiry, revocation and seats. A new instance on an expired or revoked license is
   * refused; one already deployed gets the grace window, then read-only (revoked) or a stop (expired).
   */
  activate(license: string, instance: string, access: 'read' | 'write' = 'write'): Verdict {
    const claims = this.#verify(license);
    const now = this.now();
    const active = this.#activations.get(claims.id) ?? new Set<string>();
    const deployed = active.has(instance);
    const verdict = (mode: LicenseMode, graceEnds?: number): Verdict => ({
      id: claims.id,
      seats: claims.seats,
      active: active.size,
      mode,
      ...(graceEnds === undefined ? {} : { graceEndsAt: new Date(graceEnds).toISOString() }),
    });
    if (claims.expiresAt <= now) {
      const graceEnds = claims.expiresAt + this.graceMs;
      if (!deployed || now >= graceEnds) throw errors.create('LICENSE_EXPIRED');
      return verdict('grace', graceEnds);
    }
    const revokedAt = this.#revoked.get(claims.id);
    if (revokedAt !== undefined) {
      const graceEnds = revokedAt + this.graceMs;
      if (!deployed) throw errors.create('LICENSE_REVOKED');
      if (now < graceEnds) return verdict('grace', graceEnds);
      if (access === 'write') throw errors.create('LICENSE_REVOKED');
      return verdict('read-only');
    }
    if (!deployed && active.size >= claims.seats) throw errors.create('LICENSE_ACTIVATION_LIMIT');
    active.add(instance);
    this.#activations.set(claims.id, active);
    return verdict('full');
  }

  #verify(license: string): LicenseClaims {
    const parts = license.split('.');
    // Each part strict base64url (RFC 4648 §5, unpadded): node's decoder skips what it cannot read, so a
    // token with other characters in it would decode to the bytes of a valid one (the page: bad base64 is
    // LICENSE_INVALID).
    if (parts.length !== 2 || !parts.every((part) => base64url.test(part)) || !this.#publicKey)
      throw errors.create('LICENSE_INVALID');
    const bytes = Buffer.from(parts[0]!, 'base64url');
    let valid = false;
    try {
      valid = verify(null, bytes, this.#publicKey, Buffer.from(parts[1]!, 'base64url'));
    } catch {
      valid = false;
    }
    if (!valid) throw errors.create('LICENSE_INVALID');
    return JSON.parse(bytes.toString('utf8')) as LicenseClaims;
  }
}
