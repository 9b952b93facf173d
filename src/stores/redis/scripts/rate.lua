-- GCRA: one theoretical arrival time (TAT) per key, on the Redis clock.
-- KEYS[1] the key; ARGV deadline (Redis ms, 0 for none), interval ms per unit, tolerance ms of burst,
-- cost (negative refunds). Past the deadline it changes nothing and returns {'late', now}: a caller
-- that stopped waiting has answered without this decision. Otherwise it returns
-- {allowed, remaining, retryAfter ms, reset ms, now}; durations are whole ms, rounded up. A refund
-- answers the time until the whole burst is back.
-- A decision of no units (what rateLimit's get sends) or a refund with interval 0 (the time left on a
-- ban) only reads: it writes nothing, so reading an unknown key creates nothing and reading a held one
-- leaves its TTL as it was.
-- Times are whole milliseconds and the fraction of one, as the memory store keeps them: an epoch timestamp
-- in one double keeps only about 2e-4 ms, so sums of a fractional interval (2000 ms / 3, or 1.14 us a byte)
-- would drift and a burst read a unit short or long. The decision works on the difference from now, which
-- is small and exact. The TAT is written as milliseconds with nine decimals; a TAT of three (an earlier
-- script) reads the same way, and an earlier script reads this one as a number.
local time = redis.call('TIME')
local whole = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local part = (tonumber(time[2]) % 1000) / 1000
local now = whole + part
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline then return {'late', whole} end
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
-- NaN or an infinity would be stored and break the key for good: no decision, as the memory store.
for _, x in ipairs({interval, tolerance, cost}) do
  if x == nil or x ~= x or x == math.huge or x == -math.huge then
    return redis.error_reply('rate: interval, tolerance and cost must be finite numbers')
  end
end
local reads = cost == 0 or (cost < 0 and interval == 0)
-- What is left of float rounding in these small differences: a nanosecond is no time to a limit.
local slack = 1e-6
-- Whole ms, rounded up, never below 0 nor past what a reply can carry exactly (a huge cost's wait).
local function up(ms) return math.min(9007199254740991, math.max(0, math.ceil(ms - slack))) end
-- A key lives as long as its TAT, up to what Redis takes as an expiry (a period of ages is held that long).
local function life(ms) return math.min(100000000000000, math.max(1, up(ms))) end
-- How far the stored TAT is ahead of now, never behind it. A value no decision writes (inf, nan, text)
-- is read as an empty key, not as a wait without end.
local held = 0
local stored = redis.call('GET', KEYS[1])
if stored then
  local w, f = string.match(stored, '^(%d+)%.?(%d*)$')
  -- Digits past a double's range read as no TAT, as inf does.
  if w and #w <= 300 and tonumber(w) ~= math.huge then
    local fraction = 0
    if f ~= '' then fraction = tonumber('0.' .. string.sub(f, 1, 15)) end
    held = math.max(0, (tonumber(w) - whole) + (fraction - part))
  end
end
local ahead = held + interval * cost
-- The TAT `ahead` past now, as whole ms and nine decimals; a fraction that rounds up carries.
local function tat()
  local sum = part + ahead
  local carry = math.floor(sum)
  local nanos = math.floor((sum - carry) * 1e9 + 0.5)
  if nanos >= 1e9 then carry, nanos = carry + 1, 0 end
  -- A TAT ages ahead (a period of ages) is held at year 287,000: %d takes no number past 2^63.
  return string.format('%d.%09d', math.min(whole + carry, 9000000000000000), nanos)
end
if cost < 0 then
  if reads then
  elseif ahead <= slack then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], tat(), 'PX', life(ahead))
  end
  return {1, 0, 0, up(ahead), whole}
end
local over = ahead - tolerance
if over > slack then
  return {0, 0, up(over), up(held), whole}
end
if not reads then
  redis.call('SET', KEYS[1], tat(), 'PX', life(ahead))
end
return {1, math.min(9007199254740991, math.floor((tolerance - ahead + slack) / interval)), 0, up(ahead), whole}
