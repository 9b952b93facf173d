import type { RateInput } from '../types.js';

// Braces would move the hash tag, `%` starts an escape, and a lone surrogate would be sent as U+FFFD,
// merging two callers' keys (as `\ud800` and `\udc00` would be): each is escaped, so that keys stay apart.
const unsafe = /[{}%]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function escaped(c: string): string {
  const unit = c.charCodeAt(0);
  return unit >= 0xd800 ? `%u${unit.toString(16)}` : encodeURIComponent(c);
}

/**
 * The Redis key of one kind of state (`r`, `q`, `w`, `c`, `i`) for a caller's key: the caller's key is
 * the hash tag, so that cluster slots spread by caller, with braces in it escaped so that the tag stays whole.
 */
export function hashTagged(prefix: string, kind: string, key: string): string {
  return `${prefix}${kind}:{${key.replace(unsafe, escaped)}}`;
}

// A guard passes the same input object on every decision: its arguments are formatted once.
const formatted = new WeakMap<RateInput, string[]>();

export function rateArgs(input: RateInput): string[] {
  let args = formatted.get(input);
  if (args === undefined) {
    args = [String(input.interval), String(input.tolerance), String(input.cost)];
    formatted.set(input, args);
  }
  return args;
}
