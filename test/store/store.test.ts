import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DELIVERY_TTL_MS } from '../../src/manager/DeliveryLedger.js';
import { RTMS_ERROR_CODES } from '../../src/protocol/errors.js';
import {
  MemoryStore,
  openStore,
  SCHEMA_VERSION,
  SqliteStore,
  STREAM_RETENTION_MS,
  type Store,
  type StreamRecord,
  type Tombstone,
} from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** An arbitrary fixed start for the injected clock. */
const CLOCK_START_MS = 1_700_000_000_000;

/** A test clock the stores read; advance it by assigning. */
class Clock {
  ms = CLOCK_START_MS;
  readonly now = (): number => this.ms;
}

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

function record(overrides: Partial<StreamRecord> & { streamId: string }): StreamRecord {
  return {
    product: 'meeting',
    instanceId: `instance-${overrides.streamId}`,
    serverUrls: ['wss://rtms-sjc1.zoom.us/signaling'],
    state: 'active',
    startedAt: CLOCK_START_MS,
    updatedAt: CLOCK_START_MS,
    lastStartedEventTs: CLOCK_START_MS,
    ...overrides,
  };
}

const ids = (records: StreamRecord[]): string[] => records.map((r) => r.streamId);

interface StoreFactory {
  name: string;
  open(clock: Clock): Store;
}

const factories: StoreFactory[] = [
  { name: 'MemoryStore', open: (clock) => new MemoryStore({ now: clock.now }) },
  {
    name: 'SqliteStore',
    open: (clock) => SqliteStore.open(join(tempDir(), 'rtmskit.db'), { now: clock.now, pruneIntervalMs: 0 }),
  },
];

describe.each(factories)('Store contract: $name', (factory) => {
  let clock: Clock;
  let store: Store;

  beforeEach(() => {
    clock = new Clock();
    store = track(factory.open(clock));
  });

  describe('claim', () => {
    it('is true once, false on a repeat, true again once the TTL has passed', async () => {
      const ttl = 10 * MINUTE_MS;
      expect(await store.claim('delivery-1', ttl)).toBe(true);
      expect(await store.claim('delivery-1', ttl)).toBe(false);
      expect(await store.claim('delivery-2', ttl)).toBe(true);
      clock.ms += ttl - 1;
      expect(await store.claim('delivery-1', ttl)).toBe(false);
      clock.ms += 1;
      expect(await store.claim('delivery-1', ttl)).toBe(true);
      expect(await store.claim('delivery-1', ttl)).toBe(false);
    });

    it('gives exactly one true to concurrent claims of one key', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.claim('same', DELIVERY_TTL_MS)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('rejects a TTL that is not a positive duration', async () => {
      for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(store.claim('k', ttl)).rejects.toMatchObject({ code: RTMS_ERROR_CODES.INVALID_OPTIONS });
      }
      expect(await store.claim('k', DELIVERY_TTL_MS)).toBe(true);
    });
  });

  describe('stream records', () => {
    it('round-trips a record with every optional field present', async () => {
      const full = record({
        streamId: 'full',
        product: 'webinar',
        meetingId: 'meeting-123',
        serverUrls: ['wss://a.zoom.us/s', 'wss://b.zoom.us/s', 'wss://c.zoom.us/s'],
        state: 'stopped',
        startedAt: CLOCK_START_MS - HOUR_MS,
        updatedAt: CLOCK_START_MS - 1,
        endedAt: CLOCK_START_MS - 2,
        stopReason: 6,
        recordingDir: '/data/recordings/2024-01-01/meeting-123/full',
        lastStartedEventTs: CLOCK_START_MS - HOUR_MS + 5,
      });
      await store.putStream(full);
      expect(await store.getStream('full')).toStrictEqual(full);
    });

    it('round-trips a record with the optional fields absent (not undefined)', async () => {
      const minimal = record({ streamId: 'minimal', serverUrls: [] });
      await store.putStream(minimal);
      const got = await store.getStream('minimal');
      expect(got).toStrictEqual(minimal);
      for (const key of ['meetingId', 'endedAt', 'stopReason', 'recordingDir'])
        expect(got).not.toHaveProperty(key);
    });

    it('replaces a record with the same id, dropping fields the new one lacks', async () => {
      await store.putStream(record({ streamId: 's', meetingId: 'm', recordingDir: '/r' }));
      const replacement = record({ streamId: 's', instanceId: 'other', serverUrls: ['wss://new.zoom.us/s'] });
      await store.putStream(replacement);
      expect(await store.getStream('s')).toStrictEqual(replacement);
    });

    it('answers undefined for an unknown id', async () => {
      expect(await store.getStream('nope')).toBeUndefined();
    });

    it('hands out copies: mutating a result does not change the store', async () => {
      const original = record({ streamId: 's', serverUrls: ['wss://a.zoom.us/s'] });
      await store.putStream(original);
      original.serverUrls.push('wss://mutated.zoom.us/s');
      const got = await store.getStream('s');
      got?.serverUrls.push('wss://mutated-too.zoom.us/s');
      expect((await store.getStream('s'))?.serverUrls).toEqual(['wss://a.zoom.us/s']);
    });

    it('updateStream patches the given fields and bumps updatedAt', async () => {
      const original = record({ streamId: 's', meetingId: 'm' });
      await store.putStream(original);
      clock.ms += 5 * MINUTE_MS;
      await store.updateStream('s', {
        state: 'stopped',
        endedAt: clock.ms - 1,
        stopReason: 2,
        serverUrls: ['wss://x.zoom.us/s', 'wss://y.zoom.us/s'],
      });
      expect(await store.getStream('s')).toStrictEqual({
        ...original,
        state: 'stopped',
        endedAt: clock.ms - 1,
        stopReason: 2,
        serverUrls: ['wss://x.zoom.us/s', 'wss://y.zoom.us/s'],
        updatedAt: clock.ms,
      });

      clock.ms += MINUTE_MS;
      await store.updateStream('s', { lastStartedEventTs: 42, recordingDir: '/rec' });
      const got = await store.getStream('s');
      expect(got).toMatchObject({ lastStartedEventTs: 42, recordingDir: '/rec', updatedAt: clock.ms });
      expect(got).toMatchObject({ state: 'stopped', meetingId: 'm', stopReason: 2 });
    });

    it('updateStream takes an explicit updatedAt and ignores an unknown id', async () => {
      await store.putStream(record({ streamId: 's' }));
      await store.updateStream('s', { updatedAt: 7 });
      expect((await store.getStream('s'))?.updatedAt).toBe(7);
      await store.updateStream('ghost', { state: 'lost' });
      expect(await store.getStream('ghost')).toBeUndefined();
      expect(await store.listStreams()).toHaveLength(1);
    });

    it('touchStreams bumps updatedAt of the given ids only', async () => {
      await store.putStream(record({ streamId: 'a', updatedAt: 1 }));
      await store.putStream(record({ streamId: 'b', updatedAt: 1 }));
      clock.ms += 5_000;
      await store.touchStreams(['a', 'ghost']);
      expect((await store.getStream('a'))?.updatedAt).toBe(clock.ms);
      expect((await store.getStream('b'))?.updatedAt).toBe(1);
    });

    it('activeStreams lists only active records, oldest first', async () => {
      await store.putStream(record({ streamId: 'c', startedAt: 300 }));
      await store.putStream(record({ streamId: 'a', startedAt: 100 }));
      await store.putStream(record({ streamId: 'stopped', startedAt: 50, state: 'stopped', endedAt: 60 }));
      await store.putStream(record({ streamId: 'lost', startedAt: 150, state: 'lost' }));
      await store.putStream(record({ streamId: 'b', startedAt: 200 }));
      expect(ids(await store.activeStreams())).toEqual(['a', 'b', 'c']);
    });

    it('listStreams lists every state, newest first, with a limit', async () => {
      await store.putStream(record({ streamId: 'old', startedAt: 100, state: 'failed' }));
      await store.putStream(record({ streamId: 'newest', startedAt: 400 }));
      await store.putStream(record({ streamId: 'mid', startedAt: 200, state: 'stopped', endedAt: 250 }));
      await store.putStream(record({ streamId: 'new', startedAt: 300 }));
      expect(ids(await store.listStreams())).toEqual(['newest', 'new', 'mid', 'old']);
      expect(ids(await store.listStreams({ limit: 2 }))).toEqual(['newest', 'new']);
      expect(ids(await store.listStreams({ limit: 10 }))).toHaveLength(4);
      expect(await store.listStreams({ limit: 0 })).toEqual([]);
      await expect(store.listStreams({ limit: -1 })).rejects.toMatchObject({
        code: RTMS_ERROR_CODES.INVALID_OPTIONS,
      });
      await expect(store.listStreams({ limit: 1.5 })).rejects.toMatchObject({
        code: RTMS_ERROR_CODES.INVALID_OPTIONS,
      });
    });
  });

  describe('prune', () => {
    it('removes expired deliveries and old ended streams, keeps active ones', async () => {
      expect(await store.claim('short', MINUTE_MS)).toBe(true);
      expect(await store.claim('long', HOUR_MS)).toBe(true);
      const longAgo = CLOCK_START_MS - 10 * HOUR_MS;
      await store.putStream(record({ streamId: 'active-old', startedAt: longAgo, updatedAt: longAgo }));
      await store.putStream(
        record({ streamId: 'stopped-old', startedAt: longAgo, state: 'stopped', endedAt: longAgo + 1 }),
      );
      await store.putStream(
        record({ streamId: 'stopped-recent', startedAt: longAgo, state: 'stopped', endedAt: CLOCK_START_MS }),
      );
      // No endedAt: its last update stands in for the end.
      await store.putStream(
        record({ streamId: 'lost-old', startedAt: longAgo, state: 'lost', updatedAt: longAgo }),
      );

      clock.ms += 30 * MINUTE_MS;
      expect(await store.prune({ streamsOlderThanMs: 2 * HOUR_MS })).toEqual({ deliveries: 1, streams: 2 });
      expect(ids(await store.listStreams()).sort()).toEqual(['active-old', 'stopped-recent']);
      expect(await store.claim('long', HOUR_MS)).toBe(false);
      expect(await store.claim('short', MINUTE_MS)).toBe(true);

      expect(await store.prune({ streamsOlderThanMs: 2 * HOUR_MS })).toEqual({ deliveries: 0, streams: 0 });
    });

    it('keeps ended streams for STREAM_RETENTION_MS by default', async () => {
      await store.putStream(record({ streamId: 's', state: 'stopped', endedAt: CLOCK_START_MS }));
      clock.ms += STREAM_RETENTION_MS - 1;
      expect(await store.prune()).toEqual({ deliveries: 0, streams: 0 });
      clock.ms += 2;
      expect(await store.prune()).toEqual({ deliveries: 0, streams: 1 });
    });
  });

  describe('tombstones', () => {
    const tombstone = (streamId: string, revokedAt: number): Tombstone => ({
      streamId,
      product: 'meeting',
      instanceId: `instance-${streamId}`,
      meetingId: '81234567890',
      revokedAt,
      deleted: [{ path: `recordings/2026-12-01/m/${streamId}`, files: 7, bytes: 123_456 }],
    });

    it('round-trip, replace by stream id, list newest first with a limit', async () => {
      const a = tombstone('a', CLOCK_START_MS);
      const b = tombstone('b', CLOCK_START_MS + 2);
      const { meetingId: _omitted, ...c } = tombstone('c', CLOCK_START_MS + 1);
      for (const t of [a, b, c]) await store.putTombstone(t);
      expect(await store.getTombstone('a')).toEqual(a);
      expect(await store.getTombstone('c')).toEqual(c);
      expect(await store.getTombstone('nope')).toBeUndefined();
      expect((await store.listTombstones()).map((t) => t.streamId)).toEqual(['b', 'c', 'a']);
      expect((await store.listTombstones({ limit: 1 })).map((t) => t.streamId)).toEqual(['b']);
      const again = { ...a, deleted: [...a.deleted, { path: 'recordings/x', files: 1, bytes: 2 }] };
      await store.putTombstone(again);
      expect(await store.getTombstone('a')).toEqual(again);
      const copy = await store.getTombstone('a');
      copy?.deleted.push({ path: 'mutated', files: 0, bytes: 0 });
      expect(await store.getTombstone('a')).toEqual(again);
    });

    it('outlive pruning: they are the record of a deletion', async () => {
      await store.putTombstone(tombstone('gone', CLOCK_START_MS));
      clock.ms += 10 * STREAM_RETENTION_MS;
      await store.prune({ streamsOlderThanMs: 0 });
      expect(await store.getTombstone('gone')).toBeDefined();
    });
  });

  describe('lifecycle', () => {
    it('pings while open; after an idempotent close every call rejects with CLOSED', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      await store.close();
      const closed = { code: RTMS_ERROR_CODES.CLOSED };
      await expect(store.ping()).rejects.toMatchObject(closed);
      await expect(store.claim('k', DELIVERY_TTL_MS)).rejects.toMatchObject(closed);
      await expect(store.getStream('s')).rejects.toMatchObject(closed);
      await expect(store.putStream(record({ streamId: 's' }))).rejects.toMatchObject(closed);
      await expect(store.listStreams()).rejects.toMatchObject(closed);
    });
  });
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
      const workers = Array.from({ length: 3 }, () => startClaimWorker(path, keyCount));
      try {
        await Promise.all(workers.map((w) => w.ready));
        for (const w of workers) w.child.stdin.write('go\n');
        const won = await Promise.all(workers.map((w) => w.result));
        const all = won.flat().sort((x, y) => x - y);
        expect(all).toEqual(Array.from({ length: keyCount }, (_, i) => i));
      } finally {
        for (const w of workers) w.child.kill();
      }
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
      expect(await store.prune()).toEqual({ deliveries: 0, streams: 0 });
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

  it('rejects redis:// with CONFIG_INVALID naming Redis as unavailable, hiding a password', async () => {
    await expect(openStore('redis://localhost:6379')).rejects.toMatchObject({
      code: RTMS_ERROR_CODES.CONFIG_INVALID,
      message: expect.stringMatching(/Redis support is not available/),
    });
    const error = await openStore('rediss://user:s3cret@cache.example.com:6380').catch((err: unknown) => err);
    expect(error).toMatchObject({ code: RTMS_ERROR_CODES.CONFIG_INVALID });
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('rejects an empty sqlite path and unknown schemes with CONFIG_INVALID', async () => {
    for (const url of ['sqlite:', '', '  ', 'postgres://db/rtmskit']) {
      await expect(openStore(url)).rejects.toMatchObject({ code: RTMS_ERROR_CODES.CONFIG_INVALID });
    }
  });
});

interface ClaimWorker {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  result: Promise<number[]>;
}

const WORKER_SCRIPT = fileURLToPath(new URL('./claimWorker.ts', import.meta.url));

/** Starts `claimWorker.ts` in its own Node process (through tsx) and reads its two output lines. */
function startClaimWorker(path: string, keyCount: number): ClaimWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT, path, String(keyCount)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const closed = once(child, 'close');
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const next = await lines.next();
    if (next.done) {
      await closed;
      throw new Error(`claim worker ended early: ${stderr}`);
    }
    return next.value;
  };
  const ready = nextLine().then((line) => {
    if (line !== 'ready') throw new Error(`claim worker said ${line}: ${stderr}`);
  });
  const result = ready.then(async () => JSON.parse(await nextLine()) as number[]);
  // Awaited by the test; this keeps an early failure from also surfacing as an unhandled rejection.
  result.catch(() => {});
  return { child, ready, result };
}
