type Bag = Record<string, unknown>;

/**
 * Reads one property of a thrown value, never throwing: a thrown value is foreign code whose getters,
 * proxy traps or prototype may throw, and a value that cannot be read is `undefined`. The one copy the
 * handler, its log and every adapter's translation read thrown values with.
 */
export function read(value: unknown, key: string): unknown {
  try {
    return (value as Bag)[key];
  } catch {
    return undefined;
  }
}
