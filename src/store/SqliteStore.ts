/**
 * The embedded default store: one SQLite file in WAL mode. Delivery keys, stream records and the outbox
 * survive restarts, so a webhook retried after a restart is still recognised, active streams can be
 * resumed and pending notifications are still sent.
 * Several processes may share the file; `claim` stays atomic across them.
 */

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import { checkLimit, checkTtl, pruneCutoff } from './checks.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { notificationCutoff } from './outbox.js';
import { type OutboxBackend, OutboxStore } from './outboxStore.js';
import type {
  ListStreamsOptions,
  PruneOptions,
  PruneResult,
  Store,
  StreamRecord,
  StreamRecordPatch,
  Tombstone,
} from './Store.js';
import { SqliteOutbox } from './sqliteOutbox.js';
import {
  type ClaimParams,
  fromRow,
  type StreamParams,
  type StreamRow,
  type TombstoneRow,
  tombstoneOf,
  toParams,
} from './sqliteRows.js';

/**
 * How long a statement waits for another connection's write lock before failing with `SQLITE_BUSY`.
 * better-sqlite3 is synchronous, so this wait blocks the event loop; writes are single short statements.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** How often expired delivery keys are deleted in the background. */
export const DELIVERY_PRUNE_INTERVAL_MS = 10 * 60 * 1000;

/** SQLite's name for a database held in memory only. */
const IN_MEMORY_PATH = ':memory:';

/** Options of {@link SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** The clock, epoch milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number;
  /**
   * Interval of the background deletion of expired delivery keys; `0` turns it off.
   * Default {@link DELIVERY_PRUNE_INTERVAL_MS}.
   */
  pruneIntervalMs?: number;
  /** Wait for another process's write lock. Default {@link SQLITE_BUSY_TIMEOUT_MS}. */
  busyTimeoutMs?: number;
  /** Told about a failed background prune (the next interval tries again). Default: ignored. */
  onPruneError?: (err: unknown) => void;
}

const STREAM_COLUMNS =
  'stream_id, product, instance_id, meeting_id, server_urls, state, started_at, updated_at, ended_at, ' +
  'stop_reason, recording_dir, last_started_event_ts';

const TOMBSTONE_COLUMNS = 'stream_id, product, instance_id, meeting_id, revoked_at, deleted';

/** Every statement, prepared once when the store opens. */
function prepareStatements(db: Database.Database) {
  return {
    // One statement decides and records: SQLite holds the write lock for all of it, so of two
    // concurrent claims (in this process or another) exactly one inserts or revives the key.
    claim: db.prepare<ClaimParams, { key: string }>(
      `INSERT INTO deliveries (key, expires_at) VALUES (@key, @expiresAt)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE deliveries.expires_at <= @now
       RETURNING key`,
    ),
    putStream: db.prepare<StreamParams>(
      `INSERT OR REPLACE INTO streams (${STREAM_COLUMNS}) VALUES (@stream_id, @product, @instance_id,
       @meeting_id, @server_urls, @state, @started_at, @updated_at, @ended_at, @stop_reason, @recording_dir,
       @last_started_event_ts)`,
    ),
    // A null parameter means "leave the column as it is".
    updateStream: db.prepare<StreamParams & { now: number }>(
      `UPDATE streams SET
         product = COALESCE(@product, product),
         instance_id = COALESCE(@instance_id, instance_id),
         meeting_id = COALESCE(@meeting_id, meeting_id),
         server_urls = COALESCE(@server_urls, server_urls),
         state = COALESCE(@state, state),
         started_at = COALESCE(@started_at, started_at),
         updated_at = COALESCE(@updated_at, @now),
         ended_at = COALESCE(@ended_at, ended_at),
         stop_reason = COALESCE(@stop_reason, stop_reason),
         recording_dir = COALESCE(@recording_dir, recording_dir),
         last_started_event_ts = COALESCE(@last_started_event_ts, last_started_event_ts)
       WHERE stream_id = @stream_id`,
    ),
    touchStream: db.prepare<[number, string]>('UPDATE streams SET updated_at = ? WHERE stream_id = ?'),
    getStream: db.prepare<[string], StreamRow>(`SELECT ${STREAM_COLUMNS} FROM streams WHERE stream_id = ?`),
    activeStreams: db.prepare<[], StreamRow>(
      `SELECT ${STREAM_COLUMNS} FROM streams WHERE state = 'active' ORDER BY started_at, stream_id`,
    ),
    // LIMIT -1 is SQLite for "no limit".
    listStreams: db.prepare<[number], StreamRow>(
      `SELECT ${STREAM_COLUMNS} FROM streams ORDER BY started_at DESC, stream_id DESC LIMIT ?`,
    ),
    pruneDeliveries: db.prepare<[number]>('DELETE FROM deliveries WHERE expires_at <= ?'),
    pruneStreams: db.prepare<[number]>(
      `DELETE FROM streams WHERE state <> 'active' AND COALESCE(ended_at, updated_at) < ?`,
    ),
    putTombstone: db.prepare<TombstoneRow>(
      `INSERT OR REPLACE INTO tombstones (${TOMBSTONE_COLUMNS})
       VALUES (@stream_id, @product, @instance_id, @meeting_id, @revoked_at, @deleted)`,
    ),
    getTombstone: db.prepare<[string], TombstoneRow>(
      `SELECT ${TOMBSTONE_COLUMNS} FROM tombstones WHERE stream_id = ?`,
    ),
    listTombstones: db.prepare<[number], TombstoneRow>(
      `SELECT ${TOMBSTONE_COLUMNS} FROM tombstones ORDER BY revoked_at DESC, stream_id DESC LIMIT ?`,
    ),
    ping: db.prepare<[]>('SELECT version FROM schema_migrations LIMIT 1'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/** A {@link Store} in one SQLite file (WAL mode), shared safely by several processes. */
export class SqliteStore extends OutboxStore implements Store, AsyncDisposable {
  readonly kind = 'sqlite';
  readonly location: string;
  private readonly db: Database.Database;
  private readonly statements: Statements;
  private readonly outbox: SqliteOutbox;
  private readonly now: () => number;
  private readonly onPruneError: ((err: unknown) => void) | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * Opens (creating it and its folder when missing) the database at `path` and brings its schema up to
   * date.
   *
   * @remarks Synchronous file I/O; call it at startup. Throws `CONFIG_INVALID` naming the path when the
   * file cannot be opened or written, is not a database, or was written by a newer rtmskit.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const location = path === IN_MEMORY_PATH ? path : resolve(path);
    const now = options.now ?? Date.now;
    const busyTimeoutMs = options.busyTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS;
    let db: Database.Database | undefined;
    try {
      if (location !== IN_MEMORY_PATH) mkdirSync(dirname(location), { recursive: true });
      db = new Database(location, { timeout: busyTimeoutMs });
      db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrate(db, location, now);
      return new SqliteStore(db, location, now, options);
    } catch (err) {
      try {
        db?.close();
      } catch {
        // The open error is the one worth reporting.
      }
      if (err instanceof RtmsError) throw err;
      throw cannotOpen(location, err);
    }
  }

  private constructor(
    db: Database.Database,
    location: string,
    now: () => number,
    options: SqliteStoreOptions,
  ) {
    super();
    this.db = db;
    this.location = location;
    this.now = now;
    this.onPruneError = options.onPruneError;
    this.statements = prepareStatements(db);
    this.outbox = new SqliteOutbox(db, now);
    const intervalMs = options.pruneIntervalMs ?? DELIVERY_PRUNE_INTERVAL_MS;
    if (intervalMs > 0) {
      this.pruneTimer = setInterval(() => this.pruneDeliveriesInBackground(), intervalMs);
      this.pruneTimer.unref();
    }
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    checkTtl(ttlMs);
    const now = this.now();
    return this.statements.claim.get({ key, now, expiresAt: now + ttlMs }) !== undefined;
  }

  async putStream(record: StreamRecord): Promise<void> {
    this.assertOpen();
    this.statements.putStream.run(toParams(record));
  }

  async updateStream(streamId: string, patch: StreamRecordPatch): Promise<void> {
    this.assertOpen();
    this.statements.updateStream.run({
      ...toParams({ ...patch, streamId }),
      now: this.now(),
    });
  }

  async touchStreams(streamIds: readonly string[]): Promise<void> {
    this.assertOpen();
    const now = this.now();
    // One transaction: a thousand live streams cost one commit, not a thousand.
    this.db.transaction(() => {
      for (const id of streamIds) this.statements.touchStream.run(now, id);
    })();
  }

  async getStream(streamId: string): Promise<StreamRecord | undefined> {
    this.assertOpen();
    const row = this.statements.getStream.get(streamId);
    return row === undefined ? undefined : fromRow(row);
  }

  async activeStreams(): Promise<StreamRecord[]> {
    this.assertOpen();
    return this.statements.activeStreams.all().map(fromRow);
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamRecord[]> {
    this.assertOpen();
    const limit = checkLimit(options.limit);
    return this.statements.listStreams.all(limit ?? -1).map(fromRow);
  }

  async prune(options: PruneOptions = {}): Promise<PruneResult> {
    this.assertOpen();
    const now = this.now();
    const cutoff = pruneCutoff(now, options);
    const settledBefore = notificationCutoff(now, options.notificationsOlderThanMs);
    const deliveries = this.statements.pruneDeliveries.run(now).changes;
    const streams = this.statements.pruneStreams.run(cutoff).changes;
    const notifications = this.outbox.prune(settledBefore);
    return { deliveries, streams, notifications };
  }

  async putTombstone(tombstone: Tombstone): Promise<void> {
    this.assertOpen();
    this.statements.putTombstone.run({
      stream_id: tombstone.streamId,
      product: tombstone.product,
      instance_id: tombstone.instanceId,
      meeting_id: tombstone.meetingId ?? null,
      revoked_at: tombstone.revokedAt,
      deleted: JSON.stringify(tombstone.deleted),
    });
  }

  async getTombstone(streamId: string): Promise<Tombstone | undefined> {
    this.assertOpen();
    const row = this.statements.getTombstone.get(streamId);
    return row === undefined ? undefined : tombstoneOf(row);
  }

  async listTombstones(options: ListStreamsOptions = {}): Promise<Tombstone[]> {
    this.assertOpen();
    const limit = checkLimit(options.limit);
    return this.statements.listTombstones.all(limit ?? -1).map(tombstoneOf);
  }

  async ping(): Promise<void> {
    this.assertOpen();
    this.statements.ping.get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    this.db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected outboxBackend(): OutboxBackend {
    return this.outbox;
  }

  protected assertOpen(): void {
    if (this.closed) throw RtmsError.closed(`SQLite store ${this.location}`);
  }

  private pruneDeliveriesInBackground(): void {
    if (this.closed) return;
    try {
      this.statements.pruneDeliveries.run(this.now());
    } catch (err) {
      this.onPruneError?.(err);
    }
  }
}

/**
 * Applies the migrations the file lacks, each in its own IMMEDIATE transaction that re-reads the version
 * first, so two processes opening a new file at once do not both apply a step.
 */
function migrate(db: Database.Database, location: string, now: () => number): void {
  db.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version INTEGER PRIMARY KEY,
       applied_at INTEGER NOT NULL
     ) STRICT`,
  );
  const readVersion = db.prepare<[], { version: number | null }>(
    'SELECT max(version) AS version FROM schema_migrations',
  );
  const record = db.prepare<[number, number]>(
    'INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)',
  );
  const current = () => readVersion.get()?.version ?? 0;
  const found = current();
  if (found > SCHEMA_VERSION) {
    throw new RtmsError(
      RTMS_ERROR_CODES.CONFIG_INVALID,
      `the SQLite store ${location} has schema version ${found}, but this rtmskit knows versions up to ` +
        `${SCHEMA_VERSION}: it was written by a newer rtmskit`,
      {
        fix:
          'upgrade rtmskit to the version that wrote it (or newer), ' +
          'or point the store URL at another file',
      },
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= found) continue;
    db.transaction(() => {
      if (current() >= migration.version) return;
      db.exec(migration.sql);
      record.run(migration.version, now());
    }).immediate();
  }
}

function cannotOpen(location: string, err: unknown): RtmsError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const detail = err instanceof Error ? err.message : String(err);
  const damaged = code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT');
  const fix = damaged
    ? 'the file is not an rtmskit database or is damaged: move it aside (a new one is created) ' +
      'or point the store URL at another file'
    : 'make sure the folder exists or can be created and is writable by this process, ' +
      'or point the store URL at a writable path';
  return new RtmsError(
    RTMS_ERROR_CODES.CONFIG_INVALID,
    `cannot open the SQLite store at ${location}: ${detail}`,
    { fix, cause: err },
  );
}
