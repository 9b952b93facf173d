-- Reads a GCRA key as rate.lua finds it, and writes nothing (no SET, no DEL, no PEXPIRE): a decision of
-- no units (what rateLimit's get sends) or a refund with interval 0 (the time left on a ban). Reading an
-- unknown key creates nothing, reading a held one leaves its TTL as it was.
-- KEYS[1] the key; ARGV as rate.lua's. Returns rate.lua's reply for the same input:
-- {allowed, remaining, retryAfter ms, reset ms, now}, or {'late', now} past the deadline.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline then return {'late', math.floor(now)} end
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
local nxt = tat + interval * cost
if cost < 0 then return {1, 0, 0, math.max(0, math.ceil(nxt - now)), math.floor(now)} end
local over = nxt - now - tolerance
if over > 0 then
  return {0, 0, math.ceil(over), math.ceil(tat - now), math.floor(now)}
end
return {1, math.floor((tolerance - (nxt - now)) / interval + 1e-9), 0, math.ceil(nxt - now), math.floor(now)}
