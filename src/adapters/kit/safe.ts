type Bag = Record<string, unknown>;

/**
 * Reads one property of a thrown value, never throwing: a thrown value is foreign code whose getters,
 * proxy traps or prototype may throw, and a value that cannot be read is `undefined`.
 */
export function read(value: unknown, key: string): unknown {
  try {
    return (value as Bag)[key];
  } catch {
    return undefined;
  }
}

/**
 * Wraps an adapter's translation of its framework's own errors so that it never throws: a value it
 * cannot read is returned untouched and left to `normalize`, which answers anything safely.
 * @example
 * export const translate = safely((thrown) => (read(thrown, 'type') === 'entity.too.large' ? tooLarge() : thrown));
 */
export function safely(translate: (thrown: unknown) => unknown): (thrown: unknown) => unknown {
  return (thrown) => {
    try {
      return translate(thrown);
    } catch {
      return thrown;
    }
  };
}
