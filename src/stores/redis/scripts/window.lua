-- A fixed window per key: a count whose TTL is the time left of the window, on the Redis clock.
-- KEYS[1] the key; ARGV deadline (Redis ms, 0 for none), limit, period ms, cost (negative refunds).
-- Past the deadline it changes nothing and returns {'late', now}. Otherwise it returns
-- {allowed, used, reset ms, now}, reset being the time left of the window (0 when none runs). A unit
-- spent with no window running starts one of `period`; a denied request uses nothing and starts none; a
-- refund never goes below 0 and starts none; a decision of no units only reads and writes nothing.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline then return {'late', now} end
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local used = tonumber(redis.call('GET', KEYS[1]))
local left = redis.call('PTTL', KEYS[1])
-- A count no decision wrote (not a number, or kept without a TTL) is read as no window.
if not used or used ~= used or used < 0 or left <= 0 then used, left = 0, 0 end
if cost == 0 then
  if used < limit then return {1, used, left, now} end
  return {0, used, left, now}
end
if cost < 0 then
  if left == 0 then return {1, 0, 0, now} end
  used = math.max(0, used + cost)
  redis.call('SET', KEYS[1], used, 'PX', left)
  return {1, used, left, now}
end
if used + cost > limit then
  if left == 0 then return {0, used, period, now} end
  return {0, used, left, now}
end
if left == 0 then left = period end
used = used + cost
redis.call('SET', KEYS[1], used, 'PX', left)
return {1, used, left, now}
