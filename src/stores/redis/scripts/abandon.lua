-- Releases a claim that stored nothing, so that a retry executes. KEYS[1] the key; ARGV token.
local stored = redis.call('HMGET', KEYS[1], 't', 'r')
if stored[1] ~= ARGV[1] or stored[2] then return 0 end
return redis.call('DEL', KEYS[1])
