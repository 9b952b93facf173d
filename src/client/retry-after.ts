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

/** Where a quoted string that starts at `i` ends (after its closing quote), or -1 when it does not. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  return -1;
}

/** Where a bare item (a string, or anything up to a delimiter) that starts at `i` ends; -1 if malformed. */
function skipItem(text: string, i: number): number {
  if (text[i] === '"') return skipString(text, i);
  let j = i;
  while (j < text.length && !';, \t'.includes(text[j]!)) j++;
  return j === i ? -1 : j;
}

const parameterKey = /[a-z*][a-z0-9_.*-]*/y;

const skipSpace = (text: string, i: number) => {
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
};

/**
 * The parameters of each member of a Structured Field list, as `RateLimit` carries one member per policy
 * (`"name";r=0;t=30, "other";r=9;t=2`); `undefined` when the field is malformed, so it is ignored whole.
 */
function listParameters(field: string): Map<string, string>[] | undefined {
  const members: Map<string, string>[] = [];
  let i = skipSpace(field, 0);
  while (i < field.length) {
    i = skipItem(field, i);
    if (i < 0) return undefined;
    const parameters = new Map<string, string>();
    while (field[i] === ';') {
      i = skipSpace(field, i + 1);
      parameterKey.lastIndex = i;
      const key = parameterKey.exec(field)?.[0];
      if (key === undefined) return undefined;
      i += key.length;
      let value = '?1';
      if (field[i] === '=') {
        const end = skipItem(field, i + 1);
        if (end < 0) return undefined;
        value = field.slice(i + 1, end);
        i = end;
      }
      parameters.set(key, value);
    }
    members.push(parameters);
    i = skipSpace(field, i);
    if (i === field.length) break;
    if (field[i] !== ',') return undefined;
    i = skipSpace(field, i + 1);
    if (i === field.length) return undefined;
  }
  return members;
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
  let wait: number | undefined;
  for (const parameters of (rateLimit && listParameters(rateLimit)) || []) {
    const r = parameters.get('r');
    const t = parameters.get('t');
    if (r === undefined || t === undefined || !count.test(r) || !count.test(t) || Number(r) !== 0) continue;
    wait = Math.max(wait ?? 0, Number(t) * 1000);
  }
  if (wait !== undefined || !reset || !remaining) return wait;
  const left = remaining.trim();
  const at = reset.trim();
  return count.test(left) && Number(left) === 0 && deltaSeconds.test(at) ? Number(at) * 1000 : undefined;
}
