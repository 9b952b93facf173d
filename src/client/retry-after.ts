const deltaSeconds = /^\d+$/;
// A Structured Field integer (RFC 9651 §3.3.1) that cannot be negative here.
const count = /^\d{1,15}$/;

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
  const text = value?.trim() ?? '';
  if (deltaSeconds.test(text)) return Number(text) * 1000;
  // Date.parse reads all three HTTP-date forms; anything else (including "-5" or "soon") is NaN.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  const reference = Date.parse(date ?? '');
  const wait = at - (Number.isNaN(reference) ? now : reference);
  return Number.isNaN(wait) ? undefined : Math.max(0, wait);
}

// A parameter of a Structured Field (RFC 9651 §3.1.2), its value a bare item (§3.3): a string, or a token,
// number, … up to a delimiter. Literal patterns: their repeats cost a bundle next to nothing.
const parameter = /;[ \t]*([a-z*][a-z0-9_.*-]*)(?:=("(?:[^"\\]|\\.)*"|[^"; ,\t][^;, \t]*))?/g;
// One member of a list (RFC 9651 §3.1): an item, its parameters, then a comma or the end of the field.
const member =
  /[ \t]*(?:"(?:[^"\\]|\\.)*"|[^"; ,\t][^;, \t]*)((?:;[ \t]*[a-z*][a-z0-9_.*-]*(?:=(?:"(?:[^"\\]|\\.)*"|[^"; ,\t][^;, \t]*))?)*)[ \t]*(,|$)/y;

/**
 * The longest `t=` among the members of a `RateLimit` field (`"name";r=0;t=30, "other";r=9;t=2`, one
 * member per policy) whose `r=` is 0; `undefined` when there is none, or when the field is malformed, so
 * that it is ignored whole. Every pattern is linear: a hostile field costs its length, once.
 */
function usedUpWait(field: string): number | undefined {
  let wait: number | undefined;
  member.lastIndex = 0;
  for (let match = member.exec(field); match; match = member.exec(field)) {
    let r = '';
    let t = '';
    for (const [, key, value = ''] of match[1]!.matchAll(parameter)) {
      if (key === 'r') r = value;
      else if (key === 't') t = value;
    }
    if (count.test(r) && count.test(t) && Number(r) === 0) wait = Math.max(wait ?? 0, Number(t) * 1000);
    if (!match[2]) return wait;
  }
  return undefined;
}

/**
 * When a used-up quota comes back, in milliseconds, from the IETF `RateLimit` field: the longest `t=`
 * among its policies whose remaining quota `r=` is 0; or from the older `RateLimit-Reset` when
 * `RateLimit-Remaining` is 0. `undefined` when no quota is used up, or the fields are absent or
 * malformed. It is a wait only on a refusal for that quota (429, or 503): the caller checks the status.
 * @example
 * parseRateLimitReset('"burst";r=4;t=1, "daily";r=0;t=3600'); // 3_600_000
 */
export function parseRateLimitReset(
  rateLimit: string | null | undefined,
  reset?: string | null,
  remaining?: string | null,
): number | undefined {
  const wait = rateLimit ? usedUpWait(rateLimit) : undefined;
  if (wait !== undefined || !reset || !remaining) return wait;
  const left = remaining.trim();
  const at = reset.trim();
  return count.test(left) && Number(left) === 0 && deltaSeconds.test(at) ? Number(at) * 1000 : undefined;
}
