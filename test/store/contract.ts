/**
 * The Store contract, as tests every implementation must pass: `storeContract(factory)` inside a
 * `describe`. Claims expire either on the injected clock (memory, SQLite) or on the server's own timer
 * (Redis `PX`), which the tests then wait out with a real short TTL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DELIVERY_TTL_MS } from '../../src/manager/DeliveryLedger.js';
import { RTMS_ERROR_CODES } from '../../src/protocol/errors.js';
import { STREAM_RETENTION_MS, type Store, type StreamRecord, type Tombstone } from '../../src/store/index.js';
import { outboxContract } from './outboxContract.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
/** An arbitrary fixed start for the injected clock. */
export const CLOCK_START_MS = 1_700_000_000_000;
/** The real TTL given to claims where the server, not the clock, expires them. */
export const SERVER_TTL_MS = 150;
/** Waited beyond {@link SERVER_TTL_MS} before a claim is expected to have expired. */
const SERVER_TTL_SLACK_MS = 100;

/** A test clock the stores read; advance it by assigning. */
export class Clock {
  ms = CLOCK_START_MS;
  readonly now = (): number => this.ms;
}

export interface StoreFactory {
  name: string;
  open(clock: Clock): Store | Promise<Store>;
  /** `clock`: claims expire on the injected clock. `server`: on the server's own timer (Redis PX). */
  claimExpiry: 'clock' | 'server';
}

export function record(overrides: Partial<StreamRecord> & { streamId: string }): StreamRecord {
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

export const ids = (records: StreamRecord[]): string[] => records.map((r) => r.streamId);

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Registers the contract's tests for the store `factory` opens (one new store per test). */
export function storeContract(factory: StoreFactory): void {
  let clock: Clock;
  let store: Store;
  const byServer = factory.claimExpiry === 'server';
  /** A short claim TTL: the given one on the clock, a real short one on the server. */
  const shortTtl = (clockTtlMs: number) => (byServer ? SERVER_TTL_MS : clockTtlMs);
  /** Lets `ttlMs` pass for claims: the rest of it on the clock, or really on the server. */
  const expire = async (ttlMs: number, alreadyMs: number) => {
    if (byServer) await sleep(ttlMs + SERVER_TTL_SLACK_MS);
    else clock.ms += ttlMs - alreadyMs;
  };

  beforeEach(async () => {
    clock = new Clock();
    store = await factory.open(clock);
  });

  afterEach(async () => {
    await store.close();
  });

  describe('claim', () => {
    it('is true once, false on a repeat, true again once the TTL has passed', async () => {
      const ttl = shortTtl(10 * MINUTE_MS);
      expect(await store.claim('delivery-1', ttl)).toBe(true);
      expect(await store.claim('delivery-1', ttl)).toBe(false);
      expect(await store.claim('delivery-2', ttl)).toBe(true);
      if (!byServer) {
        clock.ms += ttl - 1;
        expect(await store.claim('delivery-1', ttl)).toBe(false);
      }
      await expire(ttl, byServer ? 0 : ttl - 1);
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

    it('updateStream leaves keys whose value is undefined, and never the id', async () => {
      const original = record({ streamId: 's', meetingId: 'm', recordingDir: '/r' });
      await store.putStream(original);
      clock.ms += MINUTE_MS;
      const sneaky = { meetingId: undefined, recordingDir: undefined, state: 'lost', streamId: 'other' };
      await store.updateStream('s', sneaky as unknown as Parameters<Store['updateStream']>[1]);
      expect(await store.getStream('s')).toStrictEqual({ ...original, state: 'lost', updatedAt: clock.ms });
      expect(await store.getStream('other')).toBeUndefined();
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
      await store.touchStreams([]);
      expect(await store.getStream('ghost')).toBeUndefined();
    });

    it('activeStreams lists only active records, oldest first', async () => {
      await store.putStream(record({ streamId: 'c', startedAt: 300 }));
      await store.putStream(record({ streamId: 'a', startedAt: 100 }));
      await store.putStream(record({ streamId: 'stopped', startedAt: 50, state: 'stopped', endedAt: 60 }));
      await store.putStream(record({ streamId: 'lost', startedAt: 150, state: 'lost' }));
      await store.putStream(record({ streamId: 'b', startedAt: 200 }));
      expect(ids(await store.activeStreams())).toEqual(['a', 'b', 'c']);
    });

    it('activeStreams and listStreams follow state changes, and break startedAt ties by id', async () => {
      await store.putStream(record({ streamId: 'y', startedAt: 100 }));
      await store.putStream(record({ streamId: 'x', startedAt: 100 }));
      await store.putStream(record({ streamId: 'z', startedAt: 100, state: 'stopped' }));
      expect(ids(await store.activeStreams())).toEqual(['x', 'y']);
      expect(ids(await store.listStreams())).toEqual(['z', 'y', 'x']);
      await store.updateStream('x', { state: 'stopped', endedAt: 150 });
      await store.updateStream('z', { state: 'active' });
      expect(ids(await store.activeStreams())).toEqual(['y', 'z']);
      await store.putStream(record({ streamId: 'y', startedAt: 100, state: 'failed' }));
      expect(ids(await store.activeStreams())).toEqual(['z']);
      expect(ids(await store.listStreams())).toEqual(['z', 'y', 'x']);
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
      const shortMs = shortTtl(MINUTE_MS);
      expect(await store.claim('short', shortMs)).toBe(true);
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
      if (byServer) await expire(shortMs, 0);
      // Redis expires delivery keys by itself: there are none left for prune to count.
      const expiredDeliveries = byServer ? 0 : 1;
      expect(await store.prune({ streamsOlderThanMs: 2 * HOUR_MS })).toEqual({
        deliveries: expiredDeliveries,
        streams: 2,
        notifications: 0,
      });
      expect(ids(await store.listStreams()).sort()).toEqual(['active-old', 'stopped-recent']);
      expect(ids(await store.activeStreams())).toEqual(['active-old']);
      expect(await store.claim('long', HOUR_MS)).toBe(false);
      expect(await store.claim('short', shortMs)).toBe(true);

      expect(await store.prune({ streamsOlderThanMs: 2 * HOUR_MS })).toEqual({
        deliveries: 0,
        streams: 0,
        notifications: 0,
      });
    });

    it('keeps ended streams for STREAM_RETENTION_MS by default', async () => {
      await store.putStream(record({ streamId: 's', state: 'stopped', endedAt: CLOCK_START_MS }));
      clock.ms += STREAM_RETENTION_MS - 1;
      expect(await store.prune()).toEqual({ deliveries: 0, streams: 0, notifications: 0 });
      clock.ms += 2;
      expect(await store.prune()).toEqual({ deliveries: 0, streams: 1, notifications: 0 });
    });

    it('counts a heartbeat on a record without endedAt as its last sign of life', async () => {
      const longAgo = CLOCK_START_MS - 10 * HOUR_MS;
      await store.putStream(record({ streamId: 'lost', state: 'lost', updatedAt: longAgo }));
      await store.touchStreams(['lost']);
      expect(await store.prune({ streamsOlderThanMs: HOUR_MS })).toEqual({
        deliveries: 0,
        streams: 0,
        notifications: 0,
      });
      clock.ms += 2 * HOUR_MS;
      expect(await store.prune({ streamsOlderThanMs: HOUR_MS })).toEqual({
        deliveries: 0,
        streams: 1,
        notifications: 0,
      });
    });

    it('rejects a negative retention', async () => {
      await expect(store.prune({ streamsOlderThanMs: -1 })).rejects.toMatchObject({
        code: RTMS_ERROR_CODES.INVALID_OPTIONS,
      });
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
      expect(await store.getTombstone('c')).not.toHaveProperty('meetingId');
      expect(await store.getTombstone('nope')).toBeUndefined();
      expect((await store.listTombstones()).map((t) => t.streamId)).toEqual(['b', 'c', 'a']);
      expect((await store.listTombstones({ limit: 1 })).map((t) => t.streamId)).toEqual(['b']);
      expect(await store.listTombstones({ limit: 0 })).toEqual([]);
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

  outboxContract(() => ({ store, clock }));

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
      await expect(store.updateStream('s', { state: 'lost' })).rejects.toMatchObject(closed);
      await expect(store.touchStreams(['s'])).rejects.toMatchObject(closed);
      await expect(store.activeStreams()).rejects.toMatchObject(closed);
      await expect(store.prune()).rejects.toMatchObject(closed);
      const gone: Tombstone = {
        streamId: 's',
        product: 'meeting',
        instanceId: 'i',
        revokedAt: 1,
        deleted: [],
      };
      await expect(store.putTombstone(gone)).rejects.toMatchObject(closed);
      await expect(store.getTombstone('s')).rejects.toMatchObject(closed);
      await expect(store.listTombstones()).rejects.toMatchObject(closed);
    });
  });
}
