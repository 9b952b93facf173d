/**
 * Spends decided once, whatever reaches Redis. A dropped connection leaves a decision's outcome unknown:
 * the client may send the command again (ioredis resends what a dropped connection left unanswered), which
 * would decide twice — a cooldown refused by its own spend — or report an error for a decision that was
 * applied, spending the budget of a request answered 503. So each spend with a deadline carries an id: its
 * reply is kept under a sibling key (the same hash tag, so the same cluster slot) until its deadline and a
 * few seconds more. The same decision sent again gets the reply it was given; a caller that got no reply
 * cancels it, which gives back what it applied, or, when it has not run, refuses it as late when it does.
 */

// How long a reply is kept past its decision's deadline: a resend, or a cancel and its retries, come within it.
const keepMs = 10_000;
// When a give-back that failed is sent again (ms after the one before): a reconnect comes within seconds.
const retryDelays = [100, 400, 1500, 4000];

/**
 * `attempt`, sent again a few times while it fails, sooner first, all within a kept reply's life: what gives
 * back or records after an answer (a lease, a claim, a cancel) is idempotent by its id, and a connection
 * that dropped with the decision comes back in seconds. Rejects with the last failure.
 */
export function persistently<T>(attempt: () => Promise<T>, tries = 0): Promise<T> {
  return attempt().catch((error: unknown) => {
    const delay = retryDelays[tries];
    if (delay === undefined) throw error;
    return new Promise<void>((resume) => setTimeout(resume, delay).unref?.()).then(() =>
      persistently(attempt, tries + 1),
    );
  });
}

/** A reply as a string: numbers with every digit they hold, strings marked with `s`. */
const codec = `
local function pack(reply)
  local parts = {}
  for i, v in ipairs(reply) do
    if type(v) == 'number' then parts[i] = string.format('%.17g', v) else parts[i] = 's' .. tostring(v) end
  end
  return table.concat(parts, ',')
end
local function unpack(text)
  local out = {}
  for item in string.gmatch(text, '[^,]+') do
    if string.sub(item, 1, 1) == 's' then out[#out + 1] = string.sub(item, 2) else out[#out + 1] = tonumber(item) end
  end
  return out
end
`;

/**
 * The decision script `source` (its reply ends with the Redis time) decided once under KEYS[2] when given:
 * the reply kept there is answered instead of deciding again.
 */
export function decidedOnce(source: string): string {
  return `${codec}
if KEYS[2] then
  local kept = redis.call('GET', KEYS[2])
  if kept then return unpack(kept) end
end
local function decide()
${source}
end
local reply = decide()
-- Only what wrote is kept: a denial changed nothing, and deciding it again is as if it came once.
if KEYS[2] and type(reply) == 'table' and reply[1] == 1 then
  local keep = tonumber(ARGV[1]) - tonumber(reply[#reply]) + ${keepMs}
  redis.call('SET', KEYS[2], pack(reply), 'PX', math.max(1, math.floor(keep)))
end
return reply
`;
}

/**
 * Cancels a decision whose reply never reached its caller. KEYS[1] its reply key. Returns the decision's
 * kept reply when it was applied, for the caller to give back what it spent; nothing when it was not, and
 * then it never will be: the kept reply it finds when it runs is a late one.
 */
export const cancelSource = `
local kept = redis.call('GET', KEYS[1])
if kept then return kept end
redis.call('SET', KEYS[1], 'slate,0', 'PX', ${keepMs * 2})
return false
`;

/** A kept reply as the decision gave it. */
export function unpackReply(text: string): unknown[] {
  return text.split(',').map((item) => (item.startsWith('s') ? item.slice(1) : Number(item)));
}

/** The ids of one store's decisions: a random prefix of the process, then a count. */
export function decisionIds(): () => string {
  const prefix = Math.random().toString(36).slice(2, 10);
  let count = 0;
  return () => `${prefix}${(++count).toString(36)}`;
}
