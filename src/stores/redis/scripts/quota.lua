-- A counter per calendar period; the Redis clock picks the period among the edges the caller sent.
-- KEYS[1] the key; ARGV deadline (Redis ms, 0 for none), limit, cost (negative refunds), then ascending
-- period edges (epoch ms). Past the deadline it changes nothing and returns {'late', now}. A Redis clock
-- outside the edges (the caller's clock is off by more than a period) changes nothing and returns
-- {'skew', now}: a count kept in a period that has ended expires at once, and one kept in a period of
-- the caller's own resets the count of every instance whose clock is right. Otherwise it returns
-- {allowed, used, reset ms, now}. A denied request uses nothing; a refund never goes below 0.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline then return {'late', now} end
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local first, last = 4, #ARGV
local start, stop
for i = first, last - 1 do
  local a, b = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  if now >= a and now < b then
    start, stop = a, b
    break
  end
end
if not start then return {'skew', now} end
local stored = redis.call('HMGET', KEYS[1], 's', 'u', 'e')
local kept, keptStop = tonumber(stored[1]), tonumber(stored[3])
-- A Redis clock stepped back (a failover to a replica behind, NTP) keeps counting in the key's later
-- period: an earlier one would start from 0 and, once the clock is right again, so would the later one.
if kept and keptStop and kept > start then start, stop = kept, keptStop end
local used = 0
if kept == start then used = tonumber(stored[2]) end
if used + cost > limit then return {0, used, stop - now, now} end
used = math.max(0, used + cost)
redis.call('HSET', KEYS[1], 's', start, 'u', used, 'e', stop)
redis.call('PEXPIREAT', KEYS[1], stop + 1000)
return {1, used, stop - now, now}
