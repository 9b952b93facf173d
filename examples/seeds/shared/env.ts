/**
 * Reading a seed's configuration from its environment: each reader takes the variable's name, answers
 * `undefined` when it is unset or empty, and throws naming the variable when its value cannot be used,
 * so that a typo stops the server at start instead of running with a default nobody asked for.
 */

/** The environment, as `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

const given = (env: Env, name: string): string | undefined => {
  const text = env[name]?.trim();
  return text === undefined || text === '' ? undefined : text;
};

/** A positive integer (a count, or a duration in ms). */
export function count(env: Env, name: string): number | undefined {
  const text = given(env, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`${name} must be a positive integer, not "${text}"`);
  return value;
}

/** An http(s) URL. */
export function httpUrl(env: Env, name: string): string | undefined {
  return url(env, name, ['http:', 'https:']);
}

/** A URL of one of `protocols` (`redis:`, `rediss:`, …). */
export function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const text = given(env, name);
  if (text === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    // Reported below with the variable's name.
  }
  if (!parsed || !protocols.includes(parsed.protocol))
    throw new TypeError(`${name} must be a ${protocols.join(' or ')} URL`);
  return parsed.href;
}

/** A secret (a key, a password): at least `min` characters, never echoed in the error. */
export function secret(env: Env, name: string, min = 16): string | undefined {
  const text = given(env, name);
  if (text !== undefined && text.length < min)
    throw new TypeError(`${name} must be at least ${min} characters long`);
  return text;
}

/** The port to listen on (0: a free one). */
export function port(env: Env, fallback: number): number {
  const text = given(env, 'PORT');
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65_535)
    throw new TypeError(`PORT must be a port, not "${text}"`);
  return value;
}
