const deltaSeconds = /^\d+$/;

/**
 * The wait a `Retry-After` value asks for, in milliseconds: delta-seconds, or an HTTP-date in any of its
 * three forms (IMF-fixdate, RFC 850, asctime) taken relative to the response's `Date` when it has one.
 * `undefined` for a missing or malformed value (negative, junk): the caller falls back to backoff.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  date?: string | null,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (deltaSeconds.test(text)) return Number(text) * 1000;
  // Date.parse reads all three HTTP-date forms; anything else (including "-5" or "soon") is NaN.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  const reference = date ? Date.parse(date) : Number.NaN;
  const wait = at - (Number.isNaN(reference) ? now : reference);
  return Math.max(0, wait);
}

/**
 * The wait a `RateLimit` field asks for, in milliseconds: its `t=` parameter (seconds until quota is
 * restored, IETF RateLimit fields), or the older `RateLimit-Reset` delta. `undefined` when absent or malformed.
 */
export function parseRateLimitReset(
  rateLimit: string | null | undefined,
  reset?: string | null,
): number | undefined {
  if (rateLimit) {
    const match = /(?:^|[;,\s])t=(\d+)(?=$|[;,\s])/.exec(rateLimit);
    if (match) return Number(match[1]) * 1000;
  }
  if (reset && deltaSeconds.test(reset.trim())) return Number(reset.trim()) * 1000;
  return undefined;
}
