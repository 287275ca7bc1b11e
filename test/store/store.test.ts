import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DELIVERY_TTL_MS } from '../../src/manager/DeliveryLedger.js';
import { RTMS_ERROR_CODES } from '../../src/protocol/errors.js';
import { MemoryStore, openStore, SCHEMA_VERSION, SqliteStore, type Store } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { CLOCK_START_MS, Clock, MINUTE_MS, record, type StoreFactory, storeContract } from './contract.js';
import { raceClaimWorkers } from './workers.js';

/** Temp folders made by a test, removed after it (idempotently). */
const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rtmskit-store-'));
  tempDirs.push(dir);
  return dir;
}

/** Stores opened by a test, closed after it. */
const openStores: Store[] = [];
function track<S extends Store>(store: S): S {
  openStores.push(store);
  return store;
}

afterEach(async () => {
  for (const store of openStores.splice(0)) await store.close();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const factories: StoreFactory[] = [
  { name: 'MemoryStore', claimExpiry: 'clock', open: (clock) => new MemoryStore({ now: clock.now }) },
  {
    name: 'SqliteStore',
    claimExpiry: 'clock',
    open: (clock) => SqliteStore.open(join(tempDir(), 'rtmskit.db'), { now: clock.now, pruneIntervalMs: 0 }),
  },
];

describe.each(factories)('Store contract: $name', (factory) => {
  storeContract(factory);
});

describe('SqliteStore', () => {
  function dbPath(): string {
    return join(tempDir(), 'nested', 'folder', 'rtmskit.db');
  }

  it('creates the parent folder and reports kind and location', async () => {
    const path = dbPath();
    const store = track(SqliteStore.open(path, { pruneIntervalMs: 0 }));
    expect(store.kind).toBe('sqlite');
    expect(store.location).toBe(path);
    await store.ping();
  });

  it('keeps delivery keys and streams across close and reopen (late retry after a restart)', async () => {
    const path = dbPath();
    const clock = new Clock();
    const before = SqliteStore.open(path, { now: clock.now, pruneIntervalMs: 0 });
    expect(await before.claim('meeting.rtms_started:s1:1700000000000', DELIVERY_TTL_MS)).toBe(true);
    const active = record({ streamId: 's1', meetingId: 'm1', serverUrls: ['wss://a.zoom.us/s'] });
    await before.putStream(active);
    await before.close();

    // The process restarts; Zoom retries the same delivery 85 minutes later.
    clock.ms += 85 * MINUTE_MS;
    const after = track(SqliteStore.open(path, { now: clock.now, pruneIntervalMs: 0 }));
    expect(await after.claim('meeting.rtms_started:s1:1700000000000', DELIVERY_TTL_MS)).toBe(false);
    expect(await after.activeStreams()).toStrictEqual([active]);
  });

  it('runs in WAL mode with synchronous NORMAL and a busy timeout', async () => {
    const path = dbPath();
    track(SqliteStore.open(path, { pruneIntervalMs: 0, busyTimeoutMs: 1234 }));
    const raw = new Database(path, { readonly: true });
    try {
      // journal_mode is stored in the file; the other two are per connection, so peek at the store's own.
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
    const store = track(SqliteStore.open(path, { pruneIntervalMs: 0, busyTimeoutMs: 1234 }));
    const db = (store as unknown as { db: Database.Database }).db;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
  });

  it('applies migrations once: reopening is idempotent and keeps data', async () => {
    const path = dbPath();
    for (let i = 0; i < 3; i += 1) {
      const store = SqliteStore.open(path, { pruneIntervalMs: 0 });
      await store.putStream(record({ streamId: `s${i}` }));
      await store.close();
    }
    const raw = new Database(path, { readonly: true });
    try {
      const versions = raw.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
      expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
      expect(raw.prepare('SELECT count(*) FROM streams').pluck().get()).toBe(3);
    } finally {
      raw.close();
    }
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.at(-1)?.version);
  });

  it('upgrades a database of the first schema in place, keeping its streams and deliveries', async () => {
    const path = dbPath();
    mkdirSync(dirname(path), { recursive: true });
    const raw = new Database(path);
    raw.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT',
    );
    raw.exec(MIGRATIONS[0]?.sql ?? '');
    raw.prepare('INSERT INTO schema_migrations VALUES (1, ?)').run(CLOCK_START_MS);
    raw
      .prepare(
        `INSERT INTO streams (stream_id, product, instance_id, server_urls, state, started_at, updated_at,
         last_started_event_ts) VALUES ('kept', 'meeting', 'i', '[]', 'active', 1, 1, 1)`,
      )
      .run();
    raw.close();
    const store = track(SqliteStore.open(path, { pruneIntervalMs: 0 }));
    expect((await store.getStream('kept'))?.streamId).toBe('kept');
    await store.putTombstone({
      streamId: 'kept',
      product: 'meeting',
      instanceId: 'i',
      revokedAt: 1,
      deleted: [],
    });
    expect((await store.getTombstone('kept'))?.revokedAt).toBe(1);
  });

  it('refuses a database written by a newer schema with CONFIG_INVALID naming both versions', async () => {
    const path = dbPath();
    await SqliteStore.open(path, { pruneIntervalMs: 0 }).close();
    const future = SCHEMA_VERSION + 7;
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(future, Date.now());
    raw.close();

    let error: unknown;
    try {
      track(SqliteStore.open(path, { pruneIntervalMs: 0 }));
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: RTMS_ERROR_CODES.CONFIG_INVALID });
    const message = (error as Error).message;
    expect(message).toContain(path);
    expect(message).toContain(`version ${future}`);
    expect(message).toContain(`up to ${SCHEMA_VERSION}`);
    expect(message).toMatch(/upgrade rtmskit/);
  });

  it('fails with CONFIG_INVALID and the path when the location cannot be created', () => {
    const dir = tempDir();
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'a regular file');
    const path = join(blocker, 'data', 'rtmskit.db');
    expect(() => SqliteStore.open(path)).toThrowError(
      expect.objectContaining({
        code: RTMS_ERROR_CODES.CONFIG_INVALID,
        message: expect.stringContaining(path),
      }),
    );
  });

  it('fails with CONFIG_INVALID and the path when the file is not a database', () => {
    const path = join(tempDir(), 'corrupt.db');
    writeFileSync(path, 'this is not a SQLite database, just text that fills the header. '.repeat(100));
    expect(() => SqliteStore.open(path)).toThrowError(
      expect.objectContaining({
        code: RTMS_ERROR_CODES.CONFIG_INVALID,
        message: expect.stringMatching(/corrupt\.db.*move it aside/),
      }),
    );
  });

  describe('two stores on one file (two processes)', () => {
    function openPair(): [SqliteStore, SqliteStore] {
      const path = dbPath();
      return [
        track(SqliteStore.open(path, { pruneIntervalMs: 0 })),
        track(SqliteStore.open(path, { pruneIntervalMs: 0 })),
      ];
    }

    it('claims sequentially from both: the second is a duplicate either way', async () => {
      const [a, b] = openPair();
      expect(await a.claim('k1', DELIVERY_TTL_MS)).toBe(true);
      expect(await b.claim('k1', DELIVERY_TTL_MS)).toBe(false);
      expect(await b.claim('k2', DELIVERY_TTL_MS)).toBe(true);
      expect(await a.claim('k2', DELIVERY_TTL_MS)).toBe(false);
    });

    it('claims interleaved from both: exactly one true per key', async () => {
      const [a, b] = openPair();
      const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
      const results = await Promise.all(
        keys.map((key, i) =>
          // Alternate which store goes first so both orders are exercised.
          Promise.all(
            i % 2 === 0
              ? [a.claim(key, DELIVERY_TTL_MS), b.claim(key, DELIVERY_TTL_MS)]
              : [b.claim(key, DELIVERY_TTL_MS), a.claim(key, DELIVERY_TTL_MS)],
          ),
        ),
      );
      for (const pair of results) expect(pair.filter(Boolean)).toHaveLength(1);
    });

    it('claims racing from separate OS processes: every key won exactly once', async () => {
      const path = dbPath();
      // Create the schema first so the workers race on claims, not on migrations.
      await SqliteStore.open(path, { pruneIntervalMs: 0 }).close();
      const keyCount = 400;
      const all = await raceClaimWorkers(`sqlite:${path}`, 3, keyCount);
      expect(all).toEqual(Array.from({ length: keyCount }, (_, i) => i));
    });
  });

  it('prunes expired deliveries in the background on an unref’d timer, stopped by close', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const clock = new Clock();
      const store = SqliteStore.open(dbPath(), { now: clock.now, pruneIntervalMs: MINUTE_MS });
      expect(vi.getTimerCount()).toBe(1);
      await store.claim('k', 1_000);
      clock.ms += 2_000;
      vi.advanceTimersByTime(MINUTE_MS);
      // The background run already deleted the expired key, so an explicit prune finds nothing.
      expect(await store.prune()).toEqual({ deliveries: 0, streams: 0, notifications: 0 });
      await store.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('openStore', () => {
  it('opens sqlite:<path>, sqlite://<path> and a bare path as SqliteStore', async () => {
    const dir = tempDir();
    const cases: Array<[url: string, path: string]> = [
      [`sqlite:${join(dir, 'a.db')}`, join(dir, 'a.db')],
      [`sqlite://${join(dir, 'b.db')}`, join(dir, 'b.db')],
      [join(dir, 'c.db'), join(dir, 'c.db')],
    ];
    for (const [url, path] of cases) {
      const store = track(await openStore(url, { pruneIntervalMs: 0 }));
      expect(store).toBeInstanceOf(SqliteStore);
      expect(store.kind).toBe('sqlite');
      expect(store.location).toBe(resolve(path));
    }
  });

  it('opens memory: as MemoryStore with the injected clock', async () => {
    const clock = new Clock();
    const store = track(await openStore('memory:', { now: clock.now }));
    expect(store).toBeInstanceOf(MemoryStore);
    expect(store.kind).toBe('memory');
    expect(await store.claim('k', 10)).toBe(true);
    clock.ms += 10;
    expect(await store.claim('k', 10)).toBe(true);
  });

  it('rejects a malformed Redis URL with CONFIG_INVALID before connecting, hiding a password', async () => {
    for (const url of [
      'redis://:s3cret@localhost:notaport',
      'redis://:s3cret@localhost:70000',
      'rediss://user:s3cret@cache.example.com:6380/zero',
      'redis://:s3cret@localhost:6379/1?timeout=5',
      'redis://:s3cret@:6379',
    ]) {
      const error = await openStore(url).catch((err: unknown) => err);
      expect(error, url).toMatchObject({ code: RTMS_ERROR_CODES.CONFIG_INVALID });
      expect((error as Error).message, url).not.toContain('s3cret');
    }
  });

  it('rejects an empty sqlite path and unknown schemes with CONFIG_INVALID', async () => {
    for (const url of ['sqlite:', '', '  ', 'postgres://db/rtmskit']) {
      await expect(openStore(url)).rejects.toMatchObject({ code: RTMS_ERROR_CODES.CONFIG_INVALID });
    }
  });
});
