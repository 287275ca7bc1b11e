/**
 * The outbox shared by several store instances: two RedisStore connections (two instances of a fleet)
 * racing to take the same due notifications, each handed to exactly one of them and each stream's in
 * order; a claim held by an instance that died passes to the other once it expires; and a SQLite file
 * keeps pending notifications, attempts and all, across a reopen, shared by two connections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type NewNotification, RedisStore, SqliteStore, type Store } from '../../src/store/index.js';
import {
  type RedisServer,
  skipWithoutRedis,
  startRedisServer,
  stopRedisServers,
} from '../helpers/redisServer.js';
import { Clock } from './contract.js';

const CLAIM_MS = 30_000;
const STREAMS = 25;
const PER_STREAM = 4;

const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function notification(streamId: string, n: number, createdAt: number): NewNotification {
  const id = `${streamId}-${n}`;
  return { id, streamId, type: 'transcript.segment', body: JSON.stringify({ id }), createdAt };
}

/**
 * Takes and delivers until nothing is pending, as one instance would; resolves what it delivered. `log`
 * gets every delivery of either instance as it is confirmed.
 */
async function drain(store: Store, clock: Clock, log: string[]): Promise<string[]> {
  const delivered: string[] = [];
  for (;;) {
    const taken = await store.takeDueNotifications({ limit: 5, claimMs: CLAIM_MS });
    if (taken.length === 0) {
      if ((await store.countPendingNotifications()) === 0) return delivered;
      // The other instance holds what is left; let it settle.
      await new Promise((done) => setImmediate(done));
      continue;
    }
    await Promise.all(
      taken.map(async (n) => {
        expect(await store.markNotificationDelivered(n.id, n.claim, 1)).toBe(true);
        delivered.push(n.id);
        log.push(n.id);
      }),
    );
    clock.ms += 1;
  }
}

describe.skipIf(skipWithoutRedis())('outbox on Redis, two instances', () => {
  let server: RedisServer;
  let prefixes = 0;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await stopRedisServers([server]);
  });

  async function pair(clock: Clock): Promise<[RedisStore, RedisStore]> {
    const keyPrefix = `outbox${++prefixes}:`;
    const a = await RedisStore.open(server.url, { keyPrefix, now: clock.now });
    const b = await RedisStore.open(server.url, { keyPrefix, now: clock.now });
    stores.push(a, b);
    return [a, b];
  }

  it('hands each notification to exactly one instance, each stream in order', async () => {
    const clock = new Clock();
    const [a, b] = await pair(clock);
    for (let n = 0; n < PER_STREAM; n++) {
      for (let s = 0; s < STREAMS; s++) {
        const writer = s % 2 === 0 ? a : b;
        expect(await writer.enqueueNotification(notification(`s${s}`, n, clock.ms))).toBe(true);
      }
    }
    const log: string[] = [];
    const [byA, byB] = await Promise.all([drain(a, clock, log), drain(b, clock, log)]);
    const all = [...byA, ...byB];
    expect(all).toHaveLength(STREAMS * PER_STREAM);
    expect(new Set(all).size).toBe(all.length);
    // Both took part: the race was real.
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);
    for (let s = 0; s < STREAMS; s++) {
      const ofStream = log.filter((id) => id.startsWith(`s${s}-`));
      expect(ofStream, `stream s${s} in order`).toEqual(
        Array.from({ length: PER_STREAM }, (_, n) => `s${s}-${n}`),
      );
    }
    expect(await a.countPendingNotifications()).toBe(0);
    expect((await b.getNotification('s0-3'))?.state).toBe('delivered');
  });

  it('gives a claim held by an instance that died to the other once it expires', async () => {
    const clock = new Clock();
    const [a, b] = await pair(clock);
    await a.enqueueNotification(notification('s', 0, clock.ms));
    const [held] = await a.takeDueNotifications({ limit: 1, claimMs: CLAIM_MS });
    expect(held?.id).toBe('s-0');
    // `a` stops here without settling it.
    expect(await b.takeDueNotifications({ limit: 1, claimMs: CLAIM_MS })).toEqual([]);
    clock.ms += CLAIM_MS;
    const [again] = await b.takeDueNotifications({ limit: 1, claimMs: CLAIM_MS });
    expect(again?.id).toBe('s-0');
    expect(await a.markNotificationDelivered('s-0', held?.claim ?? '', 1)).toBe(false);
    expect(await b.markNotificationDelivered('s-0', again?.claim ?? '', 2)).toBe(true);
    expect(await a.getNotification('s-0')).toMatchObject({ state: 'delivered', attempts: 2 });
  });
});

describe('outbox in one SQLite file', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  function path(): string {
    const dir = mkdtempSync(join(tmpdir(), 'rtmskit-outbox-'));
    dirs.push(dir);
    return join(dir, 'rtmskit.db');
  }

  it('keeps pending notifications with their attempts across a reopen', async () => {
    const file = path();
    const clock = new Clock();
    const before = SqliteStore.open(file, { now: clock.now, pruneIntervalMs: 0 });
    await before.enqueueNotification(notification('s', 0, clock.ms));
    await before.enqueueNotification(notification('s', 1, clock.ms));
    const [first] = await before.takeDueNotifications({ limit: 5, claimMs: CLAIM_MS });
    const retry = { dueAt: clock.ms + 1_000, attempts: 1, lastError: 'connect ECONNREFUSED' };
    expect(await before.rescheduleNotification(first?.id ?? '', first?.claim ?? '', retry)).toBe(true);
    await before.close();

    clock.ms += 1_000;
    const after = SqliteStore.open(file, { now: clock.now, pruneIntervalMs: 0 });
    stores.push(after);
    expect(await after.countPendingNotifications()).toBe(2);
    const taken = await after.takeDueNotifications({ limit: 5, claimMs: CLAIM_MS });
    expect(taken.map((n) => [n.id, n.attempts, n.lastError])).toEqual([['s-0', 1, 'connect ECONNREFUSED']]);
  });

  it('hands a due notification to one of two connections on the file', async () => {
    const file = path();
    const clock = new Clock();
    const a = SqliteStore.open(file, { now: clock.now, pruneIntervalMs: 0 });
    const b = SqliteStore.open(file, { now: clock.now, pruneIntervalMs: 0 });
    stores.push(a, b);
    await a.enqueueNotification(notification('s', 0, clock.ms));
    const [byA, byB] = await Promise.all([
      a.takeDueNotifications({ limit: 5, claimMs: CLAIM_MS }),
      b.takeDueNotifications({ limit: 5, claimMs: CLAIM_MS }),
    ]);
    expect([...byA, ...byB].map((n) => n.id)).toEqual(['s-0']);
  });
});
