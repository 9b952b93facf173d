const deltaSeconds = /^\d+$/;
// RFC 9110 §5.6.7: an HTTP-date is an IMF-fixdate, or one of the two obsolete forms (RFC 850, asctime). The
// shapes are checked here, the month's name by Date.parse (a wrong one is NaN); the day's name is redundant.
const httpDate =
  /^(?:[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT|[A-Z][a-z]{5,8}, \d\d-[A-Z][a-z]{2}-\d\d \d\d:\d\d:\d\d GMT|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})$/;

/**
 * The instant of an HTTP-date, in milliseconds; NaN for anything else. Only a value the strict forms match
 * reaches `Date.parse`, which alone reads "a 1" or "x 2030" as dates.
 */
function parseHttpDate(value: string | null | undefined): number {
  const text = value?.trim() ?? '';
  // asctime carries no zone, and is GMT: Date.parse would read it in local time.
  return httpDate.test(text) ? Date.parse(text.endsWith('T') ? text : `${text} GMT`) : Number.NaN;
}

// A Structured Field integer (RFC 9651 §3.3.1) that cannot be negative here.
const count = /^\d{1,15}$/;

/**
 * The wait a `Retry-After` value asks for, in milliseconds: delta-seconds, or an HTTP-date in any of its
 * three forms (IMF-fixdate, RFC 850, asctime) taken relative to the response's `Date` when it has one.
 * `undefined` for a missing or malformed value (negative, junk, a date in no strict form): the caller
 * falls back to backoff.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  date?: string | null,
  now = Date.now(),
): number | undefined {
  const text = value?.trim() ?? '';
  if (deltaSeconds.test(text)) return Number(text) * 1000;
  const at = parseHttpDate(text);
  const reference = parseHttpDate(date);
  const wait = at - (Number.isNaN(reference) ? now : reference);
  return Number.isNaN(wait) ? undefined : Math.max(0, wait);
}

/**
 * The field with each String (RFC 9651 §3.3.3) blanked to a token: a string holds nothing read here. An
 * unterminated one leaves its quote, which no list accepts. One pass: a pattern for strings, tried at every
 * quote of `"\"\"…` unterminated, would scan to the end from each.
 */
function blankStrings(field: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const open = field.indexOf('"', from);
    if (open === -1) return out + field.slice(from);
    let at = open + 1;
    while (at < field.length && field[at] !== '"') at += field[at] === '\\' ? 2 : 1;
    if (at >= field.length) return out + field.slice(from);
    out += `${field.slice(from, open)}s`;
    from = at + 1;
  }
}

// A list (§3.1) once its strings are blanked: members, each an item then its parameters (§3.1.2).
const list =
  /^[ \t]*[^"; ,\t]+(?:;[ \t]*[a-z*][a-z0-9_.*-]*(?:=[^"; ,\t]+)?)*[ \t]*(?:,[ \t]*[^"; ,\t]+(?:;[ \t]*[a-z*][a-z0-9_.*-]*(?:=[^"; ,\t]+)?)*[ \t]*)*$/;
const parameter = /;[ \t]*([a-z*][a-z0-9_.*-]*)(?:=([^"; ,\t]+))?/g;

/**
 * The longest `t=` among the members of a `RateLimit` field (`"name";r=0;t=30, "other";r=9;t=2`, one
 * member per policy) whose `r=` is 0; `undefined` when there is none, or when the field is malformed, so
 * that it is ignored whole. Every pattern is linear: a hostile field costs its length, a few times.
 */
function usedUpWait(field: string): number | undefined {
  // A blanked string is a token: its , ; and = split nothing, and an unterminated one leaves a quote.
  const bare = blankStrings(field);
  if (!list.test(bare)) return undefined;
  let wait: number | undefined;
  for (const member of bare.split(',')) {
    let r = '';
    let t = '';
    for (const [, key, value = ''] of member.matchAll(parameter)) {
      if (key === 'r') r = value;
      else if (key === 't') t = value;
    }
    if (count.test(r) && count.test(t) && Number(r) === 0) wait = Math.max(wait ?? 0, Number(t) * 1000);
  }
  return wait;
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
