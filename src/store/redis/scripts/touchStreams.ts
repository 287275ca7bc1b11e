/**
 * `touchStreams`: the liveness heartbeat. Sets `updatedAt` of every existing record given, in one step;
 * unknown ids are skipped. A record that is not active moves in `ended` when it has no `endedAt`.
 *
 * KEYS: streams, active, ended, then one record key per id. ARGV: now, then the ids in KEYS' order.
 * Returns how many records were touched.
 */
import { REINDEX_LUA } from './reindex.js';

export const TOUCH_STREAMS_LUA = `${REINDEX_LUA}
local touched = 0
for i = 4, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HSET', KEYS[i], 'updatedAt', ARGV[1])
    reindex(KEYS[i], ARGV[i - 2], KEYS[1], KEYS[2], KEYS[3])
    touched = touched + 1
  end
end
return touched
`;
