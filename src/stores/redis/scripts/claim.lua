-- Claims an idempotency key or reports its state.
-- KEYS[1] the key; ARGV deadline (Redis ms, 0 for none), fingerprint, token, lock ms.
-- Past the deadline it changes nothing and returns {'late', now}: a claim the caller stopped waiting
-- for must not lock the key its retry will use. Otherwise it returns {'claimed', now},
-- {'pending', retryAfter ms, now}, {'mismatch', now} or {'done', response, now}. The same claim sent
-- again (a client resends what a dropped connection left unanswered) is its own: {'claimed', now} again,
-- never the 'pending' of a key locked by the request that holds it.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline then return {'late', now} end
local stored = redis.call('HMGET', KEYS[1], 'f', 'r', 't')
if not stored[1] then
  redis.call('HSET', KEYS[1], 'f', ARGV[2], 't', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {'claimed', now}
end
if stored[1] ~= ARGV[2] then return {'mismatch', now} end
if not stored[2] and stored[3] == ARGV[3] then return {'claimed', now} end
if not stored[2] then
  -- A lock no claim wrote (restored without its TTL) would lock the key forever: it gets a lock's life.
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    left = tonumber(ARGV[4])
  end
  return {'pending', left, now}
end
return {'done', stored[2], now}
