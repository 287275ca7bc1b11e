/**
 * The registry's Lua scripts, registered once per connection with ioredis `defineCommand` (sent by
 * EVALSHA, and again in full when a restarted Redis has forgotten them), behind typed calls.
 */
import type { Redis } from 'ioredis';
import { PRUNE_STREAMS_LUA } from './scripts/pruneStreams.js';
import { PUT_STREAM_LUA } from './scripts/putStream.js';
import { TOUCH_STREAMS_LUA } from './scripts/touchStreams.js';
import { UPDATE_STREAM_LUA } from './scripts/updateStream.js';

type Arg = string | number;

/** The methods `defineCommand` adds (ioredis cannot type them itself). */
interface ScriptCommands {
  rtmskitPutStream(...args: Arg[]): Promise<number>;
  rtmskitUpdateStream(...args: Arg[]): Promise<number>;
  /** Takes the number of keys first. */
  rtmskitTouchStreams(...args: Arg[]): Promise<number>;
  /** Takes the number of keys first. */
  rtmskitPruneStreams(...args: Arg[]): Promise<number>;
}

/** Keys of one record script: the record, then `streams`, `active`, `ended`. */
const RECORD_SCRIPT_KEYS = 4;

/** Typed calls of the registry scripts on one connection. */
export interface RegistryScripts {
  putStream(keys: readonly string[], streamId: string, pairs: readonly string[]): Promise<number>;
  updateStream(keys: readonly string[], streamId: string, pairs: readonly string[]): Promise<number>;
  touchStreams(
    indexes: readonly string[],
    records: readonly string[],
    now: number,
    ids: readonly string[],
  ): Promise<number>;
  pruneStreams(
    indexes: readonly string[],
    records: readonly string[],
    cutoff: number,
    ids: readonly string[],
  ): Promise<number>;
}

export function registerScripts(redis: Redis): RegistryScripts {
  redis.defineCommand('rtmskitPutStream', { lua: PUT_STREAM_LUA, numberOfKeys: RECORD_SCRIPT_KEYS });
  redis.defineCommand('rtmskitUpdateStream', { lua: UPDATE_STREAM_LUA, numberOfKeys: RECORD_SCRIPT_KEYS });
  redis.defineCommand('rtmskitTouchStreams', { lua: TOUCH_STREAMS_LUA });
  redis.defineCommand('rtmskitPruneStreams', { lua: PRUNE_STREAMS_LUA });
  const scripts = redis as Redis & ScriptCommands;
  return {
    putStream: (keys, streamId, pairs) => scripts.rtmskitPutStream(...keys, streamId, ...pairs),
    updateStream: (keys, streamId, pairs) => scripts.rtmskitUpdateStream(...keys, streamId, ...pairs),
    touchStreams: (indexes, records, now, ids) =>
      scripts.rtmskitTouchStreams(indexes.length + records.length, ...indexes, ...records, now, ...ids),
    pruneStreams: (indexes, records, cutoff, ids) =>
      scripts.rtmskitPruneStreams(indexes.length + records.length, ...indexes, ...records, cutoff, ...ids),
  };
}
