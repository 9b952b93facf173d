-- Leases: a sorted set of lease ids scored by their expiry on the Redis clock.
-- KEYS[1] the key; ARGV deadline (Redis ms, 0 for none), lease id, limit, ttl ms. Past the deadline it
-- changes nothing and returns {'late', now}. Otherwise it returns {acquired, count, retryAfter ms, now}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline then return {'late', now} end
local ttl = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) and not redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, count, math.max(0, tonumber(oldest[2]) - now), now}
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], tonumber(newest[2]))
return {1, redis.call('ZCARD', KEYS[1]), 0, now}
