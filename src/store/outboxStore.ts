/**
 * The outbox half of every store: each call checks that the store is open, then goes to the store's
 * own outbox ({@link OutboxBackend}: in memory, in SQLite, or in Redis by Lua scripts).
 */
import type {
  ClaimedNotification,
  NewNotification,
  NotificationFailure,
  NotificationRetry,
  OutboxNotification,
  TakeNotificationsOptions,
} from './outbox.js';
import type { Store } from './Store.js';

type MaybePromise<T> = T | Promise<T>;

/** What a store's outbox does, at once (memory, SQLite) or over the network (Redis). */
export interface OutboxBackend {
  enqueue(notification: NewNotification): MaybePromise<boolean>;
  take(options: TakeNotificationsOptions): MaybePromise<ClaimedNotification[]>;
  delivered(id: string, claim: string, attempts: number): MaybePromise<boolean>;
  reschedule(id: string, claim: string, retry: NotificationRetry): MaybePromise<boolean>;
  failed(id: string, claim: string, failure: NotificationFailure): MaybePromise<boolean>;
  countPending(): MaybePromise<number>;
  get(id: string): MaybePromise<OutboxNotification | undefined>;
}

/** A store's outbox calls. */
export type OutboxMethods = Pick<
  Store,
  | 'enqueueNotification'
  | 'takeDueNotifications'
  | 'markNotificationDelivered'
  | 'rescheduleNotification'
  | 'markNotificationFailed'
  | 'countPendingNotifications'
  | 'getNotification'
>;

export abstract class OutboxStore implements OutboxMethods {
  /** The store's own outbox (kept private there: its type may name a native module's). */
  protected abstract outboxBackend(): OutboxBackend;

  /** Throws `CLOSED` once the store is closed. */
  protected abstract assertOpen(): void;

  async enqueueNotification(notification: NewNotification): Promise<boolean> {
    this.assertOpen();
    return this.outboxBackend().enqueue(notification);
  }

  async takeDueNotifications(options: TakeNotificationsOptions): Promise<ClaimedNotification[]> {
    this.assertOpen();
    return this.outboxBackend().take(options);
  }

  async markNotificationDelivered(id: string, claim: string, attempts: number): Promise<boolean> {
    this.assertOpen();
    return this.outboxBackend().delivered(id, claim, attempts);
  }

  async rescheduleNotification(id: string, claim: string, retry: NotificationRetry): Promise<boolean> {
    this.assertOpen();
    return this.outboxBackend().reschedule(id, claim, retry);
  }

  async markNotificationFailed(id: string, claim: string, failure: NotificationFailure): Promise<boolean> {
    this.assertOpen();
    return this.outboxBackend().failed(id, claim, failure);
  }

  async countPendingNotifications(): Promise<number> {
    this.assertOpen();
    return this.outboxBackend().countPending();
  }

  async getNotification(id: string): Promise<OutboxNotification | undefined> {
    this.assertOpen();
    return this.outboxBackend().get(id);
  }
}
