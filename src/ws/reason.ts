/** The most bytes a close reason may hold: a control frame carries 125, two of which are the code (RFC 6455 §5.5). */
export const maxReasonBytes = 123;

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A close reason cut to at most 123 bytes of UTF-8 on a code-point boundary, so that `close` never
 * throws: lone surrogates become U+FFFD, and the result is a prefix of the (well-formed) text.
 * @example
 * clampReason('é'.repeat(100)); // 61 × 'é' (122 bytes)
 */
export function clampReason(text: unknown): string {
  if (typeof text !== 'string') return '';
  const whole = text.replace(loneSurrogate, '\uFFFD');
  // Fast path: 41 characters never exceed 123 bytes (at most 3 bytes per UTF-16 unit).
  if (whole.length <= 41) return whole;
  let bytes = 0;
  let end = 0;
  for (const char of whole) {
    const point = char.codePointAt(0)!;
    const size = point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
    if (bytes + size > maxReasonBytes) break;
    bytes += size;
    end += char.length;
  }
  return end === whole.length ? whole : whole.slice(0, end);
}
