import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import { MemoryStore } from './MemoryStore.js';
import { RedisStore, type RedisStoreOptions } from './RedisStore.js';
import { redactUrl } from './redis/url.js';
import { SqliteStore, type SqliteStoreOptions } from './SqliteStore.js';
import type { Store } from './Store.js';

export { MemoryStore, type MemoryStoreOptions } from './MemoryStore.js';
export { SCHEMA_VERSION } from './migrations.js';
export {
  type ClaimedNotification,
  type NewNotification,
  NOTIFICATION_RETENTION_MS,
  type NotificationFailure,
  type NotificationRetry,
  type NotificationState,
  type OutboxNotification,
  type TakeNotificationsOptions,
} from './outbox.js';
export {
  REDIS_PRUNE_BATCH,
  type RedisServerFacts,
  RedisStore,
  type RedisStoreOptions,
} from './RedisStore.js';
export {
  defaultRedisReconnectPolicy,
  REDIS_COMMAND_TIMEOUT_MS,
  REDIS_CONNECT_TIMEOUT_MS,
  REDIS_QUIT_TIMEOUT_MS,
  REDIS_RECONNECT_BASE_MS,
  REDIS_RECONNECT_MAX_DELAY_MS,
  REDIS_RECONNECT_MIN_DELAY_MS,
  type RedisReconnectPolicy,
} from './redis/connection.js';
export { DEFAULT_REDIS_KEY_PREFIX } from './redis/keys.js';
export {
  DELIVERY_PRUNE_INTERVAL_MS,
  SQLITE_BUSY_TIMEOUT_MS,
  SqliteStore,
  type SqliteStoreOptions,
} from './SqliteStore.js';
export {
  type DeletedRecording,
  type ListStreamsOptions,
  type PruneOptions,
  type PruneResult,
  STREAM_RECORD_STATES,
  STREAM_RETENTION_MS,
  type Store,
  type StoreKind,
  type StreamRecord,
  type StreamRecordPatch,
  type StreamRecordState,
  type Tombstone,
} from './Store.js';

/** Options of {@link openStore}; each store takes the ones it knows. */
export type OpenStoreOptions = SqliteStoreOptions & RedisStoreOptions;

/** A URL scheme: two characters or more, so a Windows drive (`C:\…`) reads as a bare path. */
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * Opens the store a URL names:
 *
 * - `sqlite:<path>` (also `sqlite://<path>`) or a bare path → {@link SqliteStore}; relative paths are
 *   resolved against the working directory.
 * - `memory:` → {@link MemoryStore} (nothing survives a restart).
 * - `redis://[user:password@]host:port[/db]` / `rediss://…` (TLS) → {@link RedisStore}, once Redis
 *   answers; the password may also come from `redisPassword` (the URL's wins).
 *
 * @throws RtmsError `CONFIG_INVALID` for an unknown scheme, an empty path, a malformed Redis URL, or a
 * file that cannot be opened; `STORE_UNREACHABLE` when Redis cannot be reached. No message holds a
 * password.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case undefined:
      return SqliteStore.open(requirePath(url, url), options);
    case 'sqlite':
      return SqliteStore.open(requirePath(url.slice('sqlite:'.length).replace(/^\/\//, ''), url), options);
    case 'memory':
      return new MemoryStore(options.now === undefined ? {} : { now: options.now });
    case 'redis':
    case 'rediss':
      return RedisStore.open(url, options);
    default:
      throw new RtmsError(
        RTMS_ERROR_CODES.CONFIG_INVALID,
        `store URL ${redactUrl(url)}: unknown scheme "${scheme}:"`,
        {
          fix: 'use sqlite:<path>, a file path, memory:, or redis://host:port',
        },
      );
  }
}

function requirePath(path: string, url: string): string {
  if (path.trim() === '') {
    throw new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, `store URL "${url}" names no database file`, {
      fix: 'use sqlite:<path>, for example sqlite:./data/rtmskit.db',
    });
  }
  return path;
}
