/**
 * The outbox of the Redis store, shared by every instance of a fleet: each step that decides (enqueue,
 * claim, settle, prune) is one Lua script over the keys in `keys.ts`, so two instances taking due
 * notifications at once never both get one. The rules are in `../outbox.ts`.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  type ClaimedNotification,
  checkNotification,
  checkTake,
  type NewNotification,
  type NotificationFailure,
  type NotificationRetry,
  type NotificationState,
  type OutboxNotification,
  type TakeNotificationsOptions,
} from '../outbox.js';
import type { RedisKeys } from './keys.js';
import { OUTBOX_ENQUEUE_LUA } from './scripts/outboxEnqueue.js';
import { OUTBOX_PRUNE_LUA } from './scripts/outboxPrune.js';
import { OUTBOX_SETTLE_LUA } from './scripts/outboxSettle.js';
import { OUTBOX_TAKE_LUA } from './scripts/outboxTake.js';

type Arg = string | number;

/** The methods `defineCommand` adds (ioredis cannot type them itself). */
interface OutboxCommands {
  rtmskitOutboxEnqueue(...args: Arg[]): Promise<number>;
  /** Takes the number of keys first. */
  rtmskitOutboxTake(...args: Arg[]): Promise<string[][]>;
  rtmskitOutboxSettle(...args: Arg[]): Promise<number>;
  /** Takes the number of keys first. */
  rtmskitOutboxPrune(...args: Arg[]): Promise<number>;
}

/** Keys of the enqueue and settle scripts: the notification, `due`, its stream's order, `pending`, and one more. */
const NOTIFICATION_SCRIPT_KEYS = 5;

/** How a failed Redis call becomes the store's error (`STORE_UNREACHABLE`, `CLOSED`). */
type Call = <T>(command: () => Promise<T>) => Promise<T>;

export class RedisOutbox {
  private readonly redis: Redis & OutboxCommands;
  private readonly keys: RedisKeys;
  private readonly call: Call;
  private readonly now: () => number;

  constructor(redis: Redis, keys: RedisKeys, call: Call, now: () => number) {
    redis.defineCommand('rtmskitOutboxEnqueue', {
      lua: OUTBOX_ENQUEUE_LUA,
      numberOfKeys: NOTIFICATION_SCRIPT_KEYS,
    });
    redis.defineCommand('rtmskitOutboxTake', { lua: OUTBOX_TAKE_LUA });
    redis.defineCommand('rtmskitOutboxSettle', {
      lua: OUTBOX_SETTLE_LUA,
      numberOfKeys: NOTIFICATION_SCRIPT_KEYS,
    });
    redis.defineCommand('rtmskitOutboxPrune', { lua: OUTBOX_PRUNE_LUA });
    this.redis = redis as Redis & OutboxCommands;
    this.keys = keys;
    this.call = call;
    this.now = now;
  }

  async enqueue(notification: NewNotification): Promise<boolean> {
    checkNotification(notification);
    const { id, streamId, type, body, createdAt } = notification;
    const { due, pending, seq } = this.keys.outbox;
    const keys = [this.keys.notification(id), due, this.keys.notificationOrder(streamId), pending, seq];
    const written = await this.call(() =>
      this.redis.rtmskitOutboxEnqueue(...keys, id, streamId, type, body, createdAt),
    );
    return written === 1;
  }

  async take(options: TakeNotificationsOptions): Promise<ClaimedNotification[]> {
    checkTake(options);
    const now = this.now();
    const { due } = this.keys.outbox;
    const ids = await this.call(() => this.redis.zrangebyscore(due, '-inf', now, 'LIMIT', 0, options.limit));
    if (ids.length === 0) return [];
    const keys = [due, ...ids.map((id) => this.keys.notification(id))];
    const claim = randomUUID();
    const hashes = await this.call(() =>
      this.redis.rtmskitOutboxTake(keys.length, ...keys, now, now + options.claimMs, claim, ...ids),
    );
    return hashes.map((flat) => ({ ...notificationOf(recordOf(flat)), claim }));
  }

  delivered(id: string, claim: string, attempts: number): Promise<boolean> {
    return this.settle(id, claim, ['delivered', this.now(), attempts, '', 0, 0]);
  }

  failed(id: string, claim: string, failure: NotificationFailure): Promise<boolean> {
    const lastError = failure.lastError || 'failed';
    return this.settle(id, claim, ['failed', this.now(), failure.attempts, lastError, 0, 0]);
  }

  reschedule(id: string, claim: string, retry: NotificationRetry): Promise<boolean> {
    const release = retry.releaseOrder ? 1 : 0;
    const lastError = retry.lastError || 'failed';
    return this.settle(id, claim, ['retry', this.now(), retry.attempts, lastError, retry.dueAt, release]);
  }

  async countPending(): Promise<number> {
    return this.call(() => this.redis.zcard(this.keys.outbox.pending));
  }

  async get(id: string): Promise<OutboxNotification | undefined> {
    // Sent in one tick: one round trip.
    const [hash, dueScore] = await this.call(() =>
      Promise.all([
        this.redis.hgetall(this.keys.notification(id)),
        this.redis.zscore(this.keys.outbox.due, id),
      ]),
    );
    if (hash.state === undefined) return undefined;
    const notification = notificationOf(hash);
    // `due` is where a notification that waited for its stream's order learnt it was due.
    if (dueScore !== null) notification.dueAt = Number(dueScore);
    return notification;
  }

  /** Deletes notifications settled before `cutoff`, `batch` at a time; returns how many. */
  async prune(cutoff: number, batch: number): Promise<number> {
    const { settled } = this.keys.outbox;
    let deleted = 0;
    for (;;) {
      const ids = await this.call(() =>
        this.redis.zrangebyscore(settled, '-inf', `(${cutoff}`, 'LIMIT', 0, batch),
      );
      if (ids.length === 0) break;
      const keys = [settled, ...ids.map((id) => this.keys.notification(id))];
      deleted += await this.call(() => this.redis.rtmskitOutboxPrune(keys.length, ...keys, cutoff, ...ids));
      if (ids.length < batch) break;
    }
    return deleted;
  }

  /**
   * Runs the settle script for the holder of `claim`. The stream id, which names the order key, is read
   * first: it never changes for an id, and the script decides on the claim as it is then.
   */
  private async settle(id: string, claim: string, args: Arg[]): Promise<boolean> {
    const streamId = await this.call(() => this.redis.hget(this.keys.notification(id), 'streamId'));
    if (streamId === null) return false;
    const { due, pending, settled } = this.keys.outbox;
    const keys = [this.keys.notification(id), due, this.keys.notificationOrder(streamId), pending, settled];
    const applied = await this.call(() => this.redis.rtmskitOutboxSettle(...keys, id, claim, ...args));
    return applied === 1;
  }
}

/** `[field, value, field, value…]` as a record. */
function recordOf(flat: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return record;
}

function notificationOf(hash: Record<string, string>): OutboxNotification {
  const out: OutboxNotification = {
    id: hash.id ?? '',
    streamId: hash.streamId ?? '',
    type: hash.type ?? '',
    body: hash.body ?? '',
    createdAt: Number(hash.createdAt),
    state: (hash.state ?? 'pending') as NotificationState,
    dueAt: Number(hash.dueAt),
    attempts: Number(hash.attempts ?? 0),
  };
  if (hash.lastError !== undefined) out.lastError = hash.lastError;
  if (hash.settledAt !== undefined) out.settledAt = Number(hash.settledAt);
  return out;
}
