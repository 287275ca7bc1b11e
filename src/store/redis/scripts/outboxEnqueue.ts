/**
 * `enqueueNotification`: writes a new pending notification and puts it in its stream's order; the first
 * pending one of its stream is due at once. An id already there is left alone.
 *
 * KEYS: notification, due, order (of its stream), pending, seq. ARGV: id, streamId, type, body, createdAt.
 * Returns 1 when written, 0 when the id was there.
 */
export const OUTBOX_ENQUEUE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local seq = redis.call('INCR', KEYS[5])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'streamId', ARGV[2], 'type', ARGV[3], 'body', ARGV[4],
  'createdAt', ARGV[5], 'state', 'pending', 'dueAt', ARGV[5], 'attempts', 0, 'seq', seq)
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
if redis.call('ZCARD', KEYS[3]) == 1 then redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1]) end
return 1
`;
