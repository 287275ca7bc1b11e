/**
 * The outbox part of the Store contract, registered by `storeContract` for every store: enqueue once per
 * id, claims that hand each due notification out once and expire on the store's clock, order per stream
 * with release, settling only by the current claim, pending counts, and pruning of settled ones.
 */
import { describe, expect, it } from 'vitest';
import { RTMS_ERROR_CODES } from '../../src/protocol/errors.js';
import {
  type ClaimedNotification,
  type NewNotification,
  NOTIFICATION_RETENTION_MS,
  type Store,
} from '../../src/store/index.js';
import type { Clock } from './contract.js';

const CLAIM_MS = 60_000;
const SECOND_MS = 1_000;

/** A notification of `streamId`, enqueued at `createdAt`. */
function notification(id: string, streamId: string, createdAt: number): NewNotification {
  return {
    id,
    streamId,
    type: 'stream.started',
    body: JSON.stringify({ id, type: 'stream.started', stream: { streamId } }),
    createdAt,
  };
}

const idsOf = (taken: readonly ClaimedNotification[]): string[] => taken.map((n) => n.id).sort();

/** Registers the outbox tests; `current()` gives the test's store and clock. */
export function outboxContract(current: () => { store: Store; clock: Clock }): void {
  const take = (limit = 10) => current().store.takeDueNotifications({ limit, claimMs: CLAIM_MS });
  const claimOf = (taken: readonly ClaimedNotification[], id: string): string => {
    const found = taken.find((n) => n.id === id);
    if (found === undefined) throw new Error(`${id} was not taken`);
    return found.claim;
  };

  describe('outbox', () => {
    it('enqueues a notification once per id, pending and due at once', async () => {
      const { store, clock } = current();
      const first = notification('n1', 's1', clock.ms);
      expect(await store.enqueueNotification(first)).toBe(true);
      expect(await store.enqueueNotification({ ...first, body: '{"other":true}' })).toBe(false);
      const got = await store.getNotification('n1');
      expect(got).toStrictEqual({ ...first, state: 'pending', dueAt: clock.ms, attempts: 0 });
      expect(await store.countPendingNotifications()).toBe(1);
      expect(await store.getNotification('nope')).toBeUndefined();
    });

    it('hands each due notification out once until its claim expires, then with a new claim', async () => {
      const { store, clock } = current();
      await store.enqueueNotification(notification('n1', 's1', clock.ms));
      await store.enqueueNotification(notification('n2', 's2', clock.ms + 1));
      clock.ms += 1;
      const first = await take();
      expect(first.map((n) => n.id)).toEqual(['n1', 'n2']);
      expect(first[0]).toMatchObject({ state: 'pending', dueAt: clock.ms + CLAIM_MS, attempts: 0 });
      expect(first[0]?.body).toBe(notification('n1', 's1', 0).body);
      expect(await take()).toEqual([]);
      clock.ms += CLAIM_MS - 1;
      expect(await take()).toEqual([]);
      clock.ms += 1;
      const again = await take();
      expect(idsOf(again)).toEqual(['n1', 'n2']);
      expect(claimOf(again, 'n1')).not.toBe(claimOf(first, 'n1'));
      // The expired claim settles nothing; the current one does.
      expect(await store.markNotificationDelivered('n1', claimOf(first, 'n1'), 1)).toBe(false);
      expect((await store.getNotification('n1'))?.state).toBe('pending');
      expect(await store.markNotificationDelivered('n1', claimOf(again, 'n1'), 2)).toBe(true);
      expect(await store.markNotificationDelivered('n1', claimOf(again, 'n1'), 2)).toBe(false);
      expect(await store.countPendingNotifications()).toBe(1);
    });

    it('takes times with a fraction of a millisecond (a jittered backoff, a fractional clock)', async () => {
      const { store, clock } = current();
      await store.enqueueNotification(notification('f', 's1', clock.ms + 0.4));
      clock.ms += 1.6;
      const first = await take();
      expect(first.map((n) => n.id)).toEqual(['f']);
      const retry = { dueAt: clock.ms + 1_234.567, attempts: 1, lastError: 'HTTP 503' };
      expect(await store.rescheduleNotification('f', claimOf(first, 'f'), retry)).toBe(true);
      const due = (await store.getNotification('f'))?.dueAt ?? 0;
      expect(Math.abs(due - retry.dueAt)).toBeLessThanOrEqual(1);
      clock.ms += 1_236;
      expect((await take()).map((n) => n.id)).toEqual(['f']);
    });

    it('takes at most the limit, earliest due first, and gives concurrent takes distinct notifications', async () => {
      const { store, clock } = current();
      for (let i = 0; i < 6; i++)
        await store.enqueueNotification(notification(`n${i}`, `s${i}`, clock.ms + i));
      clock.ms += 10;
      expect((await take(2)).map((n) => n.id)).toEqual(['n0', 'n1']);
      const racing = await Promise.all(Array.from({ length: 8 }, () => take(1)));
      const won = racing.flat().map((n) => n.id);
      expect(new Set(won).size).toBe(won.length);
      // Whatever the race left is still there to take, once.
      const rest = (await take()).map((n) => n.id);
      expect([...won, ...rest].sort()).toEqual(['n2', 'n3', 'n4', 'n5']);
    });

    it('hands out one stream’s notifications in enqueue order, the next once the first settled', async () => {
      const { store, clock } = current();
      await store.enqueueNotification(notification('started', 'a', clock.ms));
      await store.enqueueNotification(notification('other', 'b', clock.ms));
      await store.enqueueNotification(notification('segment', 'a', clock.ms));
      await store.enqueueNotification(notification('ended', 'a', clock.ms));
      const first = await take();
      expect(idsOf(first)).toEqual(['other', 'started']);
      // A retry of the first holds the rest of its stream back.
      const retryAt = clock.ms + 30 * SECOND_MS;
      const retry = { dueAt: retryAt, attempts: 1, lastError: 'HTTP 503' };
      expect(await store.rescheduleNotification('started', claimOf(first, 'started'), retry)).toBe(true);
      clock.ms += 10 * SECOND_MS;
      expect(await take()).toEqual([]);
      expect(await store.getNotification('started')).toMatchObject({
        state: 'pending',
        dueAt: retryAt,
        attempts: 1,
        lastError: 'HTTP 503',
      });
      clock.ms = retryAt;
      const second = await take();
      expect(idsOf(second)).toEqual(['started']);
      expect(await store.markNotificationDelivered('started', claimOf(second, 'started'), 2)).toBe(true);
      const third = await take();
      expect(idsOf(third)).toEqual(['segment']);
      expect(third[0]?.dueAt).toBe(clock.ms + CLAIM_MS);
      expect(await store.markNotificationDelivered('segment', claimOf(third, 'segment'), 1)).toBe(true);
      expect(await store.getNotification('ended')).toMatchObject({ state: 'pending', dueAt: clock.ms });
      expect(idsOf(await take())).toEqual(['ended']);
    });

    it('lets a stream’s later notifications go once the first is released from the order', async () => {
      const { store, clock } = current();
      await store.enqueueNotification(notification('stuck', 'a', clock.ms));
      await store.enqueueNotification(notification('next', 'a', clock.ms));
      const first = await take();
      expect(idsOf(first)).toEqual(['stuck']);
      const retryAt = clock.ms + 5 * SECOND_MS;
      const released = { dueAt: retryAt, attempts: 4, lastError: 'timeout', releaseOrder: true };
      expect(await store.rescheduleNotification('stuck', claimOf(first, 'stuck'), released)).toBe(true);
      const second = await take();
      expect(idsOf(second)).toEqual(['next']);
      // The released one keeps its own retries, next to the stream's next one.
      clock.ms = retryAt;
      const third = await take();
      expect(idsOf(third)).toEqual(['stuck']);
      expect(await store.markNotificationDelivered('stuck', claimOf(third, 'stuck'), 5)).toBe(true);
      expect(await store.countPendingNotifications()).toBe(1);
    });

    it('never hands out a failed notification again, and its stream goes on', async () => {
      const { store, clock } = current();
      await store.enqueueNotification(notification('bad', 'a', clock.ms));
      await store.enqueueNotification(notification('good', 'a', clock.ms));
      const first = await take();
      expect(
        await store.markNotificationFailed('bad', 'not-the-claim', { attempts: 1, lastError: 'HTTP 400' }),
      ).toBe(false);
      const failure = { attempts: 1, lastError: 'HTTP 400' };
      expect(await store.markNotificationFailed('bad', claimOf(first, 'bad'), failure)).toBe(true);
      expect(await store.getNotification('bad')).toMatchObject({
        state: 'failed',
        attempts: 1,
        lastError: 'HTTP 400',
        settledAt: clock.ms,
      });
      expect(await store.countPendingNotifications()).toBe(1);
      clock.ms += 10 * CLAIM_MS;
      expect(idsOf(await take())).toEqual(['good']);
      expect(await store.rescheduleNotification('bad', claimOf(first, 'bad'), { ...failure, dueAt: 0 })).toBe(
        false,
      );
    });

    it('keeps the last error of an earlier attempt when delivered, with the attempts made', async () => {
      const { store, clock } = current();
      await store.enqueueNotification(notification('n', 's', clock.ms));
      const first = await take();
      const retry = { dueAt: clock.ms, attempts: 1, lastError: 'connect ECONNREFUSED' };
      await store.rescheduleNotification('n', claimOf(first, 'n'), retry);
      const second = await take();
      clock.ms += 5;
      expect(await store.markNotificationDelivered('n', claimOf(second, 'n'), 2)).toBe(true);
      expect(await store.getNotification('n')).toMatchObject({
        state: 'delivered',
        attempts: 2,
        lastError: 'connect ECONNREFUSED',
        settledAt: clock.ms,
      });
      expect(await store.countPendingNotifications()).toBe(0);
      expect(await take()).toEqual([]);
    });

    it('prunes settled notifications past their retention, never pending ones', async () => {
      const { store, clock } = current();
      for (const id of ['delivered', 'failed', 'pending'])
        await store.enqueueNotification(notification(id, id, clock.ms));
      const taken = await take();
      await store.markNotificationDelivered('delivered', claimOf(taken, 'delivered'), 1);
      await store.markNotificationFailed('failed', claimOf(taken, 'failed'), {
        attempts: 1,
        lastError: 'HTTP 404',
      });
      clock.ms += NOTIFICATION_RETENTION_MS - 1;
      expect((await store.prune()).notifications).toBe(0);
      clock.ms += 2;
      expect((await store.prune()).notifications).toBe(2);
      expect(await store.getNotification('delivered')).toBeUndefined();
      expect(await store.getNotification('failed')).toBeUndefined();
      expect((await store.getNotification('pending'))?.state).toBe('pending');
      expect(await store.countPendingNotifications()).toBe(1);
      // A shorter retention on request; a pruned id may be enqueued again.
      const again = await take();
      await store.markNotificationDelivered('pending', claimOf(again, 'pending'), 1);
      clock.ms += 10;
      expect((await store.prune({ notificationsOlderThanMs: 5 })).notifications).toBe(1);
      expect(await store.enqueueNotification(notification('delivered', 'x', clock.ms))).toBe(true);
      await expect(store.prune({ notificationsOlderThanMs: -1 })).rejects.toMatchObject({
        code: RTMS_ERROR_CODES.INVALID_OPTIONS,
      });
    });

    it('refuses bad arguments with INVALID_OPTIONS', async () => {
      const { store, clock } = current();
      const invalid = { code: RTMS_ERROR_CODES.INVALID_OPTIONS };
      await expect(store.enqueueNotification(notification('', 's', clock.ms))).rejects.toMatchObject(invalid);
      await expect(store.enqueueNotification(notification('n', '', clock.ms))).rejects.toMatchObject(invalid);
      for (const limit of [0, -1, 1.5, Number.NaN]) {
        await expect(store.takeDueNotifications({ limit, claimMs: CLAIM_MS })).rejects.toMatchObject(invalid);
      }
      for (const claimMs of [0, -5, Number.POSITIVE_INFINITY]) {
        await expect(store.takeDueNotifications({ limit: 1, claimMs })).rejects.toMatchObject(invalid);
      }
      expect(await store.countPendingNotifications()).toBe(0);
    });

    it('rejects every outbox call with CLOSED once closed', async () => {
      const { store, clock } = current();
      await store.close();
      const closed = { code: RTMS_ERROR_CODES.CLOSED };
      await expect(store.enqueueNotification(notification('n', 's', clock.ms))).rejects.toMatchObject(closed);
      await expect(take()).rejects.toMatchObject(closed);
      await expect(store.markNotificationDelivered('n', 'c', 1)).rejects.toMatchObject(closed);
      await expect(
        store.rescheduleNotification('n', 'c', { dueAt: 0, attempts: 1, lastError: 'x' }),
      ).rejects.toMatchObject(closed);
      await expect(
        store.markNotificationFailed('n', 'c', { attempts: 1, lastError: 'x' }),
      ).rejects.toMatchObject(closed);
      await expect(store.countPendingNotifications()).rejects.toMatchObject(closed);
      await expect(store.getNotification('n')).rejects.toMatchObject(closed);
    });
  });
}
