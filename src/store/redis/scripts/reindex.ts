/**
 * The Lua function every registry script ends with: it puts one stream in the indexes its record calls
 * for, in the same atomic step as the write, so the indexes never disagree with the records.
 */

/**
 * `reindex(record, id, streams, active, ended)`: `streams` (by startedAt) holds every record; `active`
 * (by startedAt) the active ones; `ended` (by endedAt, else updatedAt) the others. A missing record
 * leaves every index.
 */
export const REINDEX_LUA = `
local function reindex(record, id, streams, active, ended)
  local f = redis.call('HMGET', record, 'state', 'startedAt', 'endedAt', 'updatedAt')
  if not f[1] then
    redis.call('ZREM', streams, id)
    redis.call('ZREM', active, id)
    redis.call('ZREM', ended, id)
    return
  end
  redis.call('ZADD', streams, f[2], id)
  if f[1] == 'active' then
    redis.call('ZADD', active, f[2], id)
    redis.call('ZREM', ended, id)
  else
    redis.call('ZREM', active, id)
    redis.call('ZADD', ended, f[3] or f[4], id)
  end
end
`;
