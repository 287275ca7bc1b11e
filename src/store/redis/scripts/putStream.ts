/**
 * `putStream`: replaces a stream's record (fields it no longer has go) and its index entries, atomically.
 *
 * KEYS: record, streams, active, ended. ARGV: stream id, then field, value, field, value…
 */
import { REINDEX_LUA } from './reindex.js';

export const PUT_STREAM_LUA = `${REINDEX_LUA}
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
reindex(KEYS[1], ARGV[1], KEYS[2], KEYS[3], KEYS[4])
return 1
`;
