-- GCRA: one theoretical arrival time (TAT) per key, on the Redis clock.
-- KEYS[1] the key; ARGV deadline (Redis ms, 0 for none), interval ms per unit, tolerance ms of burst,
-- cost (negative refunds). Past the deadline it changes nothing and returns {'late', now}: a caller
-- that stopped waiting has answered without this decision. Otherwise it returns
-- {allowed, remaining, retryAfter ms, reset ms, now}; durations are whole ms, rounded up. A refund
-- answers the time until the whole burst is back.
-- A decision of no units (what rateLimit's get sends) or a refund with interval 0 (the time left on a
-- ban) only reads: it writes nothing, so reading an unknown key creates nothing and reading a held one
-- leaves its TTL as it was.
-- The arithmetic is on whole microseconds, as the memory store's: on epoch timestamps a double keeps only
-- about 2e-4 ms, so sums of a fractional interval drift and a burst read one unit short. The TAT is kept as
-- milliseconds with three decimals, which a microsecond count writes and reads back exactly.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline * 1000 then return {'late', math.floor(now / 1000)} end
local interval = tonumber(ARGV[2])
-- Rounded down, so that a burst of tolerance / interval units fits whole; never 0 when positive.
if interval > 0 then interval = math.max(1, math.floor(interval * 1000 + 1e-6)) end
local tolerance = math.floor(tonumber(ARGV[3]) * 1000 + 0.5)
local cost = tonumber(ARGV[4])
local reads = cost == 0 or (cost < 0 and interval == 0)
local tat = tonumber(redis.call('GET', KEYS[1]))
-- A value no decision writes (inf, nan) is read as an empty key, not as a wait without end.
if not tat or tat ~= tat or tat == math.huge or tat == -math.huge then
  tat = now
else
  tat = math.floor(tat * 1000 + 0.5)
  if tat < now then tat = now end
end
local nxt = tat + interval * cost
local function ms(us) return string.format('%d.%03d', math.floor(us / 1000), us % 1000) end
local function up(us) return math.ceil(us / 1000) end
if cost < 0 then
  if reads then
  elseif nxt <= now then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], ms(nxt), 'PX', up(nxt - now))
  end
  return {1, 0, 0, math.max(0, up(nxt - now)), math.floor(now / 1000)}
end
local over = nxt - now - tolerance
if over > 0 then
  return {0, 0, up(over), up(tat - now), math.floor(now / 1000)}
end
if not reads then
  redis.call('SET', KEYS[1], ms(nxt), 'PX', math.max(1, up(nxt - now)))
end
return {1, math.floor((tolerance - (nxt - now)) / interval), 0, up(nxt - now), math.floor(now / 1000)}
