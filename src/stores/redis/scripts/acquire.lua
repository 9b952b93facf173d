-- Leases: a sorted set of lease ids scored by their expiry on the Redis clock.
-- KEYS[1] the key; ARGV lease id, limit, ttl ms. Returns {acquired, count, retryAfter ms}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[2]) and not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, count, math.max(0, tonumber(oldest[2]) - now)}
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], tonumber(newest[2]))
return {1, redis.call('ZCARD', KEYS[1]), 0}
