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
local reads = cost == 0 or (cost < 0 and interval == 0)
-- What is left of float rounding in these small differences: a nanosecond is no time to a limit.
local slack = 1e-6
local function up(ms) return math.max(0, math.ceil(ms - slack)) end
-- How far the stored TAT is ahead of now, never behind it. A value no decision writes (inf, nan, text)
-- is read as an empty key, not as a wait without end.
local held = 0
local stored = redis.call('GET', KEYS[1])
if stored then
  local w, f = string.match(stored, '^(%d+)%.?(%d*)$')
  if w and #w <= 15 then
    local fraction = 0
    if f ~= '' then fraction = tonumber('0.' .. f) end
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
  return string.format('%d.%09d', whole + carry, nanos)
end
if cost < 0 then
  if reads then
  elseif ahead <= slack then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], tat(), 'PX', math.max(1, up(ahead)))
  end
  return {1, 0, 0, up(ahead), whole}
end
local over = ahead - tolerance
if over > slack then
  return {0, 0, up(over), up(held), whole}
end
if not reads then
  redis.call('SET', KEYS[1], tat(), 'PX', math.max(1, up(ahead)))
end
return {1, math.floor((tolerance - ahead + slack) / interval), 0, up(ahead), whole}
