/**
 * `markNotificationDelivered`, `markNotificationFailed` and `rescheduleNotification`, for the holder of
 * the current claim only. Settling moves the notification from `due` and `pending` to `settled`; a retry
 * puts it back in `due` at its next time. Leaving its stream's order (settled, or a retry that releases
 * it) makes the stream's next notification due now.
 *
 * KEYS: notification, due, order (of its stream), pending, settled. ARGV: id, claim, mode (`delivered`,
 * `failed` or `retry`), now, attempts, lastError (empty: keep), dueAt (retry), release (`1`: leave the
 * order; retry). Returns 1 when applied, 0 when the claim is not the current one or it is not pending.
 */
export const OUTBOX_SETTLE_LUA = `
local f = redis.call('HMGET', KEYS[1], 'state', 'claim')
if f[1] ~= 'pending' or f[2] ~= ARGV[2] then return 0 end
local id, mode, now = ARGV[1], ARGV[3], ARGV[4]
local function leaveOrder()
  local first = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
  redis.call('ZREM', KEYS[3], id)
  if first == id then
    local following = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
    if following then redis.call('ZADD', KEYS[2], now, following) end
  end
end
redis.call('HDEL', KEYS[1], 'claim')
if mode == 'retry' then
  redis.call('HSET', KEYS[1], 'dueAt', ARGV[7], 'attempts', ARGV[5], 'lastError', ARGV[6])
  redis.call('ZADD', KEYS[2], ARGV[7], id)
  if ARGV[8] == '1' then leaveOrder() end
  return 1
end
redis.call('HSET', KEYS[1], 'state', mode, 'attempts', ARGV[5], 'settledAt', now)
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'lastError', ARGV[6]) end
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[4], id)
redis.call('ZADD', KEYS[5], now, id)
leaveOrder()
return 1
`;
