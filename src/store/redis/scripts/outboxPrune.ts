/**
 * `prune` of the outbox: deletes the candidate notifications that are, as they are now, settled before
 * the cutoff; a candidate whose hash is gone leaves `settled` too.
 *
 * KEYS: settled, then one notification key per candidate. ARGV: cutoff (epoch ms), then the candidate
 * ids in KEYS' order. Returns how many notifications were deleted.
 */
export const OUTBOX_PRUNE_LUA = `
local cutoff = tonumber(ARGV[1])
local deleted = 0
for i = 2, #KEYS do
  local f = redis.call('HMGET', KEYS[i], 'state', 'settledAt')
  if not f[1] then
    redis.call('ZREM', KEYS[1], ARGV[i])
  elseif f[1] ~= 'pending' and tonumber(f[2]) < cutoff then
    redis.call('DEL', KEYS[i])
    redis.call('ZREM', KEYS[1], ARGV[i])
    deleted = deleted + 1
  end
end
return deleted
`;
