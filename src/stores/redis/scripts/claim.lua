-- Claims an idempotency key or reports its state.
-- KEYS[1] the key; ARGV fingerprint, token, lock ms.
-- Returns {'claimed'}, {'pending', retryAfter ms}, {'mismatch'} or {'done', response}.
local stored = redis.call('HMGET', KEYS[1], 'f', 'r')
if not stored[1] then
  redis.call('HSET', KEYS[1], 'f', ARGV[1], 't', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'claimed'}
end
if stored[1] ~= ARGV[1] then return {'mismatch'} end
if not stored[2] then return {'pending', math.max(0, redis.call('PTTL', KEYS[1]))} end
return {'done', stored[2]}
