-- GCRA: one theoretical arrival time (TAT) per key, on the Redis clock.
-- KEYS[1] the key; ARGV deadline (Redis ms, 0 for none), interval ms per unit, tolerance ms of burst,
-- cost (negative refunds). Past the deadline it changes nothing and returns {'late', now}: a caller
-- that stopped waiting has answered without this decision. Otherwise it returns
-- {allowed, remaining, retryAfter ms, reset ms, now}; durations are whole ms, rounded up. A refund
-- answers the time until the whole burst is back.
-- A decision of no units (what rateLimit's get sends) or a refund with interval 0 (the time left on a
-- ban) only reads: it writes nothing, so reading an unknown key creates nothing and reading a held one
-- leaves its TTL as it was.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline then return {'late', math.floor(now)} end
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local reads = cost == 0 or (cost < 0 and interval == 0)
local tat = tonumber(redis.call('GET', KEYS[1]))
-- A value no decision writes (inf, nan) is read as an empty key, not as a wait without end.
if not tat or tat ~= tat or tat == math.huge or tat < now then tat = now end
local nxt = tat + interval * cost
if cost < 0 then
  if reads then
  elseif nxt <= now then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.ceil(nxt - now))
  end
  return {1, 0, 0, math.max(0, math.ceil(nxt - now)), math.floor(now)}
end
local over = nxt - now - tolerance
if over > 0 then
  return {0, 0, math.ceil(over), math.ceil(tat - now), math.floor(now)}
end
if not reads then
  redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.max(1, math.ceil(nxt - now)))
end
return {1, math.floor((tolerance - (nxt - now)) / interval + 1e-9), 0, math.ceil(nxt - now), math.floor(now)}
