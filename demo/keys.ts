/**
 * The demo's API key. None is written in the repository: a key written here would open every copy of the
 * demo that anyone deploys (CWE-798), so the key comes from the environment or is made at start.
 */

/** The shortest key the demo takes: 16 characters, so that no short, guessable key guards it. */
export const MIN_KEY_LENGTH = 16;

/** A fresh random key: 192 bits from the platform's CSPRNG, as 32 base64url characters. */
export function randomKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url');
}

/** Throws unless `key` is at least {@link MIN_KEY_LENGTH} characters; the message never holds the key. */
export function assertKey(name: string, key: string): void {
  if (key.length < MIN_KEY_LENGTH) {
    throw new Error(`${name} must be ${MIN_KEY_LENGTH} characters or more (it has ${key.length})`);
  }
}

/** The demo app's key: `DEMO_API_KEY` when set (16 characters or more), else a random one made now. */
export function demoKeyFrom(env: NodeJS.ProcessEnv): { key: string; made: boolean } {
  const given = env.DEMO_API_KEY;
  if (given === undefined) return { key: randomKey(), made: true };
  assertKey('DEMO_API_KEY', given);
  return { key: given, made: false };
}
