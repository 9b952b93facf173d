/**
 * White-label licenses: issued signed with Ed25519 by the platform, verified offline by deployed
 * instances against the public key; expiry, revocation and a seat (activation) limit.
 */
import { type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { errors } from './catalog.js';

export interface LicenseClaims {
  id: string;
  customer: string;
  expiresAt: number;
  seats: number;
}

export class Licensing {
  readonly revoked = new Set<string>();
  readonly #activations = new Map<string, Set<string>>();

  constructor(
    private readonly now: () => number,
    /** The issuer's keypair; `undefined` until an operator provisions it. */
    private readonly keys: { privateKey: KeyObject; publicKey: KeyObject } | undefined,
    /** The key deployed validators hold. */
    private readonly publicKey: KeyObject | undefined = keys?.publicKey,
  ) {}

  issue(customer: string, days: number, seats: number): string {
    if (!this.keys)
      throw errors.create('LICENSE_SIGNING_KEY_MISSING', undefined, {
        cause: new Error('license_signing credential missing'),
      });
    const claims: LicenseClaims = {
      id: randomUUID(),
      customer,
      expiresAt: this.now() + days * 86_400_000,
      seats,
    };
    const payload = Buffer.from(JSON.stringify(claims));
    return `${payload.toString('base64url')}.${sign(null, payload, this.keys.privateKey).toString('base64url')}`;
  }

  /** Offline verification: signature first, then expiry, revocation and seats. */
  activate(license: string, instance: string): { id: string; seats: number; active: number } {
    const claims = this.#verify(license);
    if (claims.expiresAt <= this.now()) throw errors.create('LICENSE_EXPIRED');
    if (this.revoked.has(claims.id)) throw errors.create('LICENSE_REVOKED');
    const active = this.#activations.get(claims.id) ?? new Set<string>();
    if (!active.has(instance) && active.size >= claims.seats) throw errors.create('LICENSE_ACTIVATION_LIMIT');
    active.add(instance);
    this.#activations.set(claims.id, active);
    return { id: claims.id, seats: claims.seats, active: active.size };
  }

  revoke(license: string): void {
    this.revoked.add(this.#verify(license).id);
  }

  #verify(license: string): LicenseClaims {
    const [payload, signature] = license.split('.');
    if (!payload || !signature || !this.publicKey) throw errors.create('LICENSE_INVALID');
    const bytes = Buffer.from(payload, 'base64url');
    let valid = false;
    try {
      valid = verify(null, bytes, this.publicKey, Buffer.from(signature, 'base64url'));
    } catch {
      valid = false;
    }
    if (!valid) throw errors.create('LICENSE_INVALID');
    return JSON.parse(bytes.toString('utf8')) as LicenseClaims;
  }
}
