/**
 * `updateStream`: sets the given fields of an existing record and moves it between the indexes, in one
 * step, so two instances patching different fields of one record both land. An unknown id is left alone
 * (no record is created).
 *
 * KEYS: record, streams, active, ended. ARGV: stream id, then field, value… (always `updatedAt`).
 * Returns 1 when the record was there, 0 when not.
 */
import { REINDEX_LUA } from './reindex.js';

export const UPDATE_STREAM_LUA = `${REINDEX_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
reindex(KEYS[1], ARGV[1], KEYS[2], KEYS[3], KEYS[4])
return 1
`;
