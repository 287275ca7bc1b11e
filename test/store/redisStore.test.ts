/**
 * RedisStore against a real redis-server: the Store contract, then what only a networked store shared
 * by processes has to get right: races between connections and processes, outages and recovery, keys,
 * passwords.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DELIVERY_TTL_MS } from '../../src/manager/DeliveryLedger.js';
import { RTMS_ERROR_CODES } from '../../src/protocol/errors.js';
import { openStore, REDIS_PRUNE_BATCH, RedisStore, type RedisStoreOptions } from '../../src/store/index.js';
import {
  type RedisServer,
  skipWithoutRedis,
  startRedisServer,
  stopRedisServers,
} from '../helpers/redisServer.js';
import { CLOCK_START_MS, Clock, HOUR_MS, ids, record, sleep, storeContract } from './contract.js';
import { raceClaimWorkers } from './workers.js';

/** A call while Redis is down must reject well inside this. */
const PROMPT_REJECTION_MS = 1_000;
/** The store must be usable again within this long of Redis coming back. */
const RECOVERY_MS = 5_000;
const PASSWORD = 's3cret-Pa55';

let server: RedisServer;
/** Each store gets its own prefix, so tests on one server never see each other's keys. */
let prefixes = 0;
const nextPrefix = () => `test${++prefixes}:`;

const stores: RedisStore[] = [];
async function open(options: RedisStoreOptions = {}, url = server.url): Promise<RedisStore> {
  const store = await RedisStore.open(url, { keyPrefix: nextPrefix(), ...options });
  stores.push(store);
  return store;
}

/** Two connections on one prefix: two instances of a fleet. */
async function openPair(): Promise<[RedisStore, RedisStore]> {
  const keyPrefix = nextPrefix();
  return [await open({ keyPrefix }), await open({ keyPrefix })];
}

/** Polls `ping` until it answers: the store reconnected by itself. */
async function untilAnswering(store: RedisStore): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await store.ping();
      return Date.now() - started;
    } catch (err) {
      if (Date.now() - started > RECOVERY_MS) throw err;
      await sleep(50);
    }
  }
}

describe.skipIf(skipWithoutRedis())('RedisStore', () => {
  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  afterAll(async () => {
    await stopRedisServers([server]);
  });

  describe('Store contract', () => {
    storeContract({
      name: 'RedisStore',
      claimExpiry: 'server',
      open: (clock: Clock) => open({ now: clock.now }),
    });
  });

  it('reports kind redis and the URL as its location', async () => {
    const store = await open();
    expect(store.kind).toBe('redis');
    expect(store.location).toBe(`redis://127.0.0.1:${server.port}/0`);
    const inDb3 = await open({}, `${server.url}/3`);
    expect(inDb3.location).toBe(`redis://127.0.0.1:${server.port}/3`);
  });

  describe('keys', () => {
    it('lays records, indexes and claims out under the prefix, with TTLs only on claims', async () => {
      const store = await open({ keyPrefix: 'layout:' });
      const raw = new Redis(server.port, '127.0.0.1');
      try {
        await store.claim('meeting.rtms_started:s1:1', DELIVERY_TTL_MS);
        await store.putStream(record({ streamId: 'a', startedAt: 10 }));
        await store.putStream(record({ streamId: 'b', startedAt: 20, state: 'stopped', endedAt: 30 }));
        await store.putTombstone({
          streamId: 'b',
          product: 'meeting',
          instanceId: 'i',
          revokedAt: 40,
          deleted: [],
        });
        expect((await raw.keys('layout:*')).sort()).toEqual([
          'layout:delivery:meeting.rtms_started:s1:1',
          'layout:{registry}:active',
          'layout:{registry}:ended',
          'layout:{registry}:stream:a',
          'layout:{registry}:stream:b',
          'layout:{registry}:streams',
          'layout:{registry}:tombstone:b',
          'layout:{registry}:tombstones',
        ]);
        const ttl = await raw.pttl('layout:delivery:meeting.rtms_started:s1:1');
        expect(ttl).toBeGreaterThan(DELIVERY_TTL_MS - 5_000);
        expect(ttl).toBeLessThanOrEqual(DELIVERY_TTL_MS);
        expect(await raw.pttl('layout:{registry}:stream:a')).toBe(-1);
        expect(await raw.zrange('layout:{registry}:streams', 0, -1, 'WITHSCORES')).toEqual([
          'a',
          '10',
          'b',
          '20',
        ]);
        expect(await raw.zrange('layout:{registry}:active', 0, -1, 'WITHSCORES')).toEqual(['a', '10']);
        expect(await raw.zrange('layout:{registry}:ended', 0, -1, 'WITHSCORES')).toEqual(['b', '30']);
        expect(await raw.zrange('layout:{registry}:tombstones', 0, -1, 'WITHSCORES')).toEqual(['b', '40']);
        // The indexes move with the record, in the same step.
        await store.updateStream('a', { state: 'lost' });
        expect(await raw.zrange('layout:{registry}:active', 0, -1)).toEqual([]);
        expect(await raw.zrange('layout:{registry}:ended', 0, -1)).toEqual(['b', 'a']);
        await store.updateStream('a', { state: 'active' });
        expect(await raw.zrange('layout:{registry}:active', 0, -1)).toEqual(['a']);
        expect(await raw.zrange('layout:{registry}:ended', 0, -1)).toEqual(['b']);
        await store.prune({ streamsOlderThanMs: 0 });
        expect(await raw.zrange('layout:{registry}:streams', 0, -1)).toEqual(['a']);
        expect(await raw.zrange('layout:{registry}:ended', 0, -1)).toEqual([]);
        // Absent optional fields are absent from the hash: no "null", no "undefined".
        expect(Object.keys(await raw.hgetall('layout:{registry}:stream:a')).sort()).toEqual(
          [
            'instanceId',
            'lastStartedEventTs',
            'product',
            'serverUrls',
            'startedAt',
            'state',
            'updatedAt',
          ].sort(),
        );
      } finally {
        raw.disconnect();
      }
    });

    it('keeps stores with different prefixes apart on one Redis', async () => {
      const [a, b] = [await open(), await open()];
      expect(await a.claim('k', DELIVERY_TTL_MS)).toBe(true);
      expect(await b.claim('k', DELIVERY_TTL_MS)).toBe(true);
      await a.putStream(record({ streamId: 's' }));
      expect(await b.getStream('s')).toBeUndefined();
      expect(await b.listStreams()).toEqual([]);
    });

    it('refuses a prefix with a brace (it would break the registry hash tag)', async () => {
      await expect(RedisStore.open(server.url, { keyPrefix: 'my{app}:' })).rejects.toMatchObject({
        code: RTMS_ERROR_CODES.INVALID_OPTIONS,
      });
    });
  });

  describe('two instances on one Redis', () => {
    it('claims sequentially from both: the second is a duplicate either way', async () => {
      const [a, b] = await openPair();
      expect(await a.claim('k1', DELIVERY_TTL_MS)).toBe(true);
      expect(await b.claim('k1', DELIVERY_TTL_MS)).toBe(false);
      expect(await b.claim('k2', DELIVERY_TTL_MS)).toBe(true);
      expect(await a.claim('k2', DELIVERY_TTL_MS)).toBe(false);
    });

    it('200 keys claimed concurrently from both: exactly one winner per key', async () => {
      const [a, b] = await openPair();
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
      const winsOfA = results.filter((pair, i) => pair[i % 2 === 0 ? 0 : 1]).length;
      // Both connections won some: the race was real, not one store answering everything.
      expect(winsOfA).toBeGreaterThan(0);
      expect(winsOfA).toBeLessThan(200);
    });

    it('claims racing from separate OS processes: every key won exactly once', async () => {
      const keyCount = 300;
      const all = await raceClaimWorkers(server.url, 3, keyCount, `${nextPrefix()}race-`);
      expect(all).toEqual(Array.from({ length: keyCount }, (_, i) => i));
    });

    it('concurrent updates of different fields of one record from both: every field lands', async () => {
      const [a, b] = await openPair();
      const count = 50;
      for (let i = 0; i < count; i += 1) await a.putStream(record({ streamId: `s${i}` }));
      await Promise.all(
        Array.from({ length: count }, (_, i) => [
          a.updateStream(`s${i}`, { recordingDir: `/rec/${i}`, lastStartedEventTs: i }),
          b.updateStream(`s${i}`, { state: 'stopped', endedAt: CLOCK_START_MS + i, stopReason: 2 }),
          b.touchStreams([`s${i}`]),
        ]).flat(),
      );
      for (let i = 0; i < count; i += 1) {
        expect(await b.getStream(`s${i}`)).toMatchObject({
          recordingDir: `/rec/${i}`,
          lastStartedEventTs: i,
          state: 'stopped',
          endedAt: CLOCK_START_MS + i,
          stopReason: 2,
        });
      }
      expect(await a.activeStreams()).toEqual([]);
      expect(await a.listStreams()).toHaveLength(count);
    });

    it('sees the other instance’s writes at once', async () => {
      const [a, b] = await openPair();
      await a.putStream(record({ streamId: 'shared', meetingId: 'm' }));
      expect(await b.getStream('shared')).toStrictEqual(record({ streamId: 'shared', meetingId: 'm' }));
      await b.updateStream('shared', { state: 'lost' });
      expect(ids(await a.activeStreams())).toEqual([]);
    });
  });

  it(`prunes more than one batch (${REDIS_PRUNE_BATCH}) of ended records and counts them all`, async () => {
    const clock = new Clock();
    const store = await open({ now: clock.now });
    const ended = REDIS_PRUNE_BATCH * 2 + 7;
    await Promise.all(
      Array.from({ length: ended }, (_, i) =>
        store.putStream(record({ streamId: `e${i}`, state: 'stopped', endedAt: CLOCK_START_MS - HOUR_MS })),
      ),
    );
    await store.putStream(record({ streamId: 'live' }));
    expect(await store.prune({ streamsOlderThanMs: 1 })).toEqual({
      deliveries: 0,
      streams: ended,
      notifications: 0,
    });
    expect(ids(await store.listStreams())).toEqual(['live']);
  });

  describe('when Redis goes away', () => {
    let own: RedisServer | undefined;
    afterEach(async () => {
      await stopRedisServers([own]);
      own = undefined;
    });

    it('rejects calls within a second with STORE_UNREACHABLE, and works again after a restart', async () => {
      own = await startRedisServer();
      const printed = vi.spyOn(console, 'error');
      const store = await open({}, own.url);
      await store.putStream(record({ streamId: 'before' }));
      await own.kill();
      for (const call of [
        () => store.ping(),
        () => store.claim('k', DELIVERY_TTL_MS),
        () => store.getStream('before'),
        () => store.putStream(record({ streamId: 'during' })),
        () => store.activeStreams(),
        () =>
          store.putTombstone({
            streamId: 't',
            product: 'meeting',
            instanceId: 'i',
            revokedAt: 1,
            deleted: [],
          }),
      ]) {
        const started = performance.now();
        const error = await call().catch((err: unknown) => err);
        expect(performance.now() - started).toBeLessThan(PROMPT_REJECTION_MS);
        expect(error).toMatchObject({ code: RTMS_ERROR_CODES.STORE_UNREACHABLE });
        expect((error as Error).message).toContain(own.url.replace('redis://', ''));
      }

      await own.restart();
      expect(await untilAnswering(store)).toBeLessThan(RECOVERY_MS);
      // The same store object, not reopened: Redis came back empty (nothing is saved).
      expect(await store.getStream('before')).toBeUndefined();
      expect(await store.claim('k', DELIVERY_TTL_MS)).toBe(true);
      await store.putStream(record({ streamId: 'after' }));
      expect(ids(await store.activeStreams())).toEqual(['after']);
      expect(printed.mock.calls.flat().join(' ')).not.toContain('ioredis');
      printed.mockRestore();
    });

    it('rejects a call a hung Redis does not answer after the command timeout', async () => {
      own = await startRedisServer();
      const store = await open({ commandTimeoutMs: 200 }, own.url);
      const pid = own.pid;
      if (pid === undefined) throw new Error('redis-server has no pid');
      process.kill(pid, 'SIGSTOP');
      try {
        const started = performance.now();
        await expect(store.claim('k', DELIVERY_TTL_MS)).rejects.toMatchObject({
          code: RTMS_ERROR_CODES.STORE_UNREACHABLE,
          message: expect.stringContaining('did not answer within 200 ms'),
        });
        expect(performance.now() - started).toBeLessThan(PROMPT_REJECTION_MS);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      expect(await untilAnswering(store)).toBeLessThan(RECOVERY_MS);
    });

    it('fails to open with STORE_UNREACHABLE when nothing listens, naming the URL', async () => {
      own = await startRedisServer();
      const url = own.url;
      await own.stop();
      const started = performance.now();
      const error = await openStore(url).catch((err: unknown) => err);
      expect(performance.now() - started).toBeLessThan(PROMPT_REJECTION_MS);
      expect(error).toMatchObject({ code: RTMS_ERROR_CODES.STORE_UNREACHABLE });
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
      expect((error as Error).message).toContain(`${url}/0`);
    });
  });

  describe('with a password', () => {
    let guarded: RedisServer;
    beforeAll(async () => {
      guarded = await startRedisServer({ password: PASSWORD });
    });
    afterAll(async () => {
      await stopRedisServers([guarded]);
    });
    const bare = () => `redis://127.0.0.1:${guarded.port}`;

    it('takes it from the URL or from redisPassword, the URL’s first, and never shows it', async () => {
      const fromUrl = await open({}, guarded.url);
      const fromOption = await open({ redisPassword: PASSWORD }, bare());
      const urlWins = await open({ redisPassword: 'wrong' }, guarded.url);
      for (const store of [fromUrl, fromOption, urlWins]) {
        expect(await store.claim('k', DELIVERY_TTL_MS)).toBe(true);
        expect(store.location).toBe(`redis://127.0.0.1:${guarded.port}/0`);
      }
      const viaOpenStore = await openStore(bare(), { redisPassword: PASSWORD, keyPrefix: nextPrefix() });
      expect(viaOpenStore.kind).toBe('redis');
      await viaOpenStore.close();
    });

    it('fails to open with a wrong or missing password, without the password in the error', async () => {
      const wrong = `redis://:not-${PASSWORD}@127.0.0.1:${guarded.port}`;
      for (const [url, options] of [
        [wrong, {}],
        [bare(), {}],
        [bare(), { redisPassword: `not-${PASSWORD}` }],
      ] as const) {
        const error = await RedisStore.open(url, options).catch((err: unknown) => err);
        expect(error).toMatchObject({ code: RTMS_ERROR_CODES.STORE_UNREACHABLE });
        const shown = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as Error).cause)}`;
        expect(shown).not.toContain(PASSWORD);
        expect((error as Error).message).toMatch(/password/);
      }
    });

    it('keeps the password out of outage errors and connection error reports', async () => {
      const own = await startRedisServer({ password: PASSWORD });
      try {
        const reported: Error[] = [];
        const store = await open({ onConnectionError: (err) => reported.push(err) }, own.url);
        await own.kill();
        const error = await store.ping().catch((err: unknown) => err);
        expect(error).toMatchObject({ code: RTMS_ERROR_CODES.STORE_UNREACHABLE });
        await sleep(300);
        expect(reported.length).toBeGreaterThan(0);
        for (const err of [error as Error, ...reported]) {
          expect(`${err.message} ${String(err.cause)} ${JSON.stringify(err)}`).not.toContain(PASSWORD);
        }
      } finally {
        await own.stop();
      }
    });
  });
});
