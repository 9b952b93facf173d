export { read } from '../../server/safe-read.js';

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
