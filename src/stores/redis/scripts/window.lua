-- A fixed window per key: a hash of its start (s, Redis ms) and the units used in it (u), on the Redis clock.
-- KEYS[1] the key; ARGV deadline (Redis ms, 0 for none), limit, period ms, cost (negative refunds), and for a
-- refund the start of the window its units were spent in ('' for any). Past the deadline it changes nothing
-- and returns {'late', now}. Otherwise it returns {allowed, used, reset ms, start, now}: reset and start are
-- those of the running window, 0 when none runs. A window runs from its start for the period of each
-- decision; the key expires when it ends under the period of its last spend. A unit spent with no window
-- running starts one; a denied request uses nothing and starts none; a refund never goes below 0, starts
-- none, reaches no window but its own, and one that takes the count to 0 ends the window; a decision of no
-- units only reads and writes nothing.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline then return {'late', now} end
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local stored = redis.call('HMGET', KEYS[1], 's', 'u')
local start, used = tonumber(stored[1]), tonumber(stored[2])
-- What no decision writes (not numbers, a start a period or more ahead of the clock) reads as no window, as an
-- ended one does. A start a little ahead (the clock stepped back: a failover to a replica behind) still runs.
if not start or not used or start ~= start or used ~= used or used < 0 or start >= now + period
  or now >= start + period then
  start, used = 0, 0
end
local reset = 0
if start > 0 then reset = start + period - now end
if cost == 0 then
  if used < limit then return {1, used, reset, start, now} end
  return {0, used, reset, start, now}
end
if cost < 0 then
  if start == 0 or (ARGV[5] ~= '' and tonumber(ARGV[5]) ~= start) then return {1, used, reset, start, now} end
  used = math.max(0, used + cost)
  if used == 0 then
    redis.call('DEL', KEYS[1])
    return {1, 0, 0, 0, now}
  end
  redis.call('HSET', KEYS[1], 'u', used)
  return {1, used, reset, start, now}
end
if used + cost > limit then
  if start == 0 then return {0, used, period, 0, now} end
  return {0, used, reset, start, now}
end
if start == 0 then
  start, reset = now, period
end
used = used + cost
redis.call('HSET', KEYS[1], 's', start, 'u', used)
redis.call('PEXPIREAT', KEYS[1], start + period)
return {1, used, reset, start, now}
