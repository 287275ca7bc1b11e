/**
 * `prune`: deletes the candidate records that are still not active and ended (or, lacking `endedAt`,
 * were last updated) before the cutoff, deciding on each record as it is now: one that changed since
 * the candidates were read is re-indexed instead, and an index entry without a record is dropped.
 *
 * KEYS: streams, active, ended, then one record key per candidate. ARGV: cutoff (epoch ms), then the
 * candidate ids in KEYS' order. Returns how many records were deleted.
 */
import { REINDEX_LUA } from './reindex.js';

export const PRUNE_STREAMS_LUA = `${REINDEX_LUA}
local cutoff = tonumber(ARGV[1])
local deleted = 0
for i = 4, #KEYS do
  local id = ARGV[i - 2]
  local f = redis.call('HMGET', KEYS[i], 'state', 'endedAt', 'updatedAt')
  if f[1] and f[1] ~= 'active' and tonumber(f[2] or f[3]) < cutoff then
    redis.call('DEL', KEYS[i])
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZREM', KEYS[3], id)
    deleted = deleted + 1
  else
    reindex(KEYS[i], id, KEYS[1], KEYS[2], KEYS[3])
  end
end
return deleted
`;
