/**
 * `takeDueNotifications`: claims the candidates (read from `due` just before) that are, as they are now,
 * still due and pending: each gets the claim token and is moved in `due` to the claim's expiry, so a
 * second caller racing for the same candidates finds them no longer due and skips them.
 *
 * KEYS: due, then one notification key per candidate. ARGV: now, claim expiry, claim token, then the
 * candidate ids in KEYS' order. Returns the claimed notifications' hashes (HGETALL), in that order.
 */
export const OUTBOX_TAKE_LUA = `
local now = tonumber(ARGV[1])
local out = {}
for i = 2, #KEYS do
  local id = ARGV[i + 2]
  local score = redis.call('ZSCORE', KEYS[1], id)
  if score and tonumber(score) <= now and redis.call('HGET', KEYS[i], 'state') == 'pending' then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    redis.call('HSET', KEYS[i], 'claim', ARGV[3], 'dueAt', ARGV[2])
    out[#out + 1] = redis.call('HGETALL', KEYS[i])
  end
end
return out
`;
