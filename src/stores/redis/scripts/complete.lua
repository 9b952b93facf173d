-- Stores the response of the claiming request, once. KEYS[1] the key; ARGV token, response, ttl ms.
local stored = redis.call('HMGET', KEYS[1], 't', 'r')
if stored[1] ~= ARGV[1] or stored[2] then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
