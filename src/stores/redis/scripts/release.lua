-- Gives a lease back. KEYS[1] the key; ARGV lease id. Returns 1 when it was held.
return redis.call('ZREM', KEYS[1], ARGV[1])
