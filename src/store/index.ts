import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import { MemoryStore } from './MemoryStore.js';
import { SqliteStore, type SqliteStoreOptions } from './SqliteStore.js';
import type { Store } from './Store.js';

export { MemoryStore, type MemoryStoreOptions } from './MemoryStore.js';
export { SCHEMA_VERSION } from './migrations.js';
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
export type OpenStoreOptions = SqliteStoreOptions;

/** A URL scheme: two characters or more, so a Windows drive (`C:\…`) reads as a bare path. */
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * Opens the store a URL names:
 *
 * - `sqlite:<path>` (also `sqlite://<path>`) or a bare path → {@link SqliteStore}; relative paths are
 *   resolved against the working directory.
 * - `memory:` → {@link MemoryStore} (nothing survives a restart).
 * - `redis://…` / `rediss://…` → not available in this build yet.
 *
 * @throws RtmsError `CONFIG_INVALID` for an unknown scheme, an empty path, or a file that cannot be opened.
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
      throw new RtmsError(
        RTMS_ERROR_CODES.CONFIG_INVALID,
        `store URL ${redactCredentials(url)}: Redis support is not available in this build of rtmskit yet`,
        { fix: 'use sqlite:<path> (one machine) or memory: for now' },
      );
    default:
      throw new RtmsError(
        RTMS_ERROR_CODES.CONFIG_INVALID,
        `store URL ${redactCredentials(url)}: unknown scheme "${scheme}:"`,
        {
          fix: 'use sqlite:<path>, a file path, or memory:',
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

/** Redis URLs may carry a password; it must not reach logs through an error message. */
function redactCredentials(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
