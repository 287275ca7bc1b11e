/**
 * The outbox of outbound notifications, as every store keeps it: the types of its entries and the
 * argument checks the three stores share, so they accept and refuse the same input.
 *
 * The rules every store follows:
 * - A notification is `pending` from `enqueueNotification` until it is `delivered` or `failed`; an id
 *   already in the outbox is not enqueued again.
 * - Order per stream: of the pending notifications of one stream, only the oldest (in enqueue order) is
 *   handed out, unless it was released from the order (`releaseOrder`), after which the next one goes
 *   too. A notification that waited behind another is due from the moment that one settled or was
 *   released.
 * - `takeDueNotifications` claims what it hands out: the notification's `dueAt` becomes the claim's
 *   expiry and a new claim token is stored, so nobody else takes it until then; if the holder dies, it is
 *   due again when the claim expires. Only the holder of the current claim can settle or reschedule it.
 * - Delivered and failed notifications stay until `prune` deletes them, {@link NOTIFICATION_RETENTION_MS}
 *   after they settled by default.
 */
import { RtmsError } from '../protocol/errors.js';

/** Where a notification of the outbox stands. */
export type NotificationState = 'pending' | 'delivered' | 'failed';

/** A notification as it is written to the outbox, before any attempt to send it. */
export interface NewNotification {
  /** Unique and stable: what a receiver dedupes on. */
  id: string;
  /** The stream it is about: one stream's notifications are handed out in the order they were enqueued. */
  streamId: string;
  /** Its type (`stream.started`, …), for logs and metrics. */
  type: string;
  /** The JSON body, sent as these exact bytes on every attempt. */
  body: string;
  /** Epoch milliseconds; it is due from then. */
  createdAt: number;
}

/** A notification as the outbox holds it. Times are epoch milliseconds. */
export interface OutboxNotification extends NewNotification {
  state: NotificationState;
  /** When it is due (next); while claimed, when the claim expires. */
  dueAt: number;
  /** Attempts made so far, as the sender reported them. */
  attempts: number;
  /** Why the latest attempt failed. */
  lastError?: string;
  /** When it was delivered or failed for good. */
  settledAt?: number;
}

/** A notification handed out by `takeDueNotifications`, with the claim that settles it. */
export interface ClaimedNotification extends OutboxNotification {
  claim: string;
}

/** Options of `takeDueNotifications`. */
export interface TakeNotificationsOptions {
  /** At most this many (a positive integer). */
  limit: number;
  /** How long the claim holds, milliseconds: longer than an attempt can take. */
  claimMs: number;
}

/** What `rescheduleNotification` records of a failed attempt. */
export interface NotificationRetry {
  /** When to try again, epoch milliseconds. */
  dueAt: number;
  attempts: number;
  lastError: string;
  /**
   * Let the later notifications of its stream go without waiting for this one any more: it has held
   * them long enough. It keeps its own retries.
   */
  releaseOrder?: boolean;
}

/** What `markNotificationFailed` records. */
export interface NotificationFailure {
  attempts: number;
  lastError: string;
}

/** Delivered and failed notifications are kept this long by default (7 days), for audits. */
export const NOTIFICATION_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** Throws `INVALID_OPTIONS` for a notification no store can keep. */
export function checkNotification(notification: NewNotification): void {
  for (const field of ['id', 'streamId', 'type'] as const) {
    if (typeof notification[field] !== 'string' || notification[field].length === 0) {
      throw RtmsError.invalidOptions(
        `a notification needs a non-empty ${field}`,
        'build notifications with the notifier',
      );
    }
  }
  if (!Number.isFinite(notification.createdAt)) {
    throw RtmsError.invalidOptions(
      `notification createdAt must be epoch milliseconds, got ${notification.createdAt}`,
      'pass Date.now() or the clock the store uses',
    );
  }
}

/** Throws `INVALID_OPTIONS` unless the limit is a positive integer and the claim a positive duration. */
export function checkTake(options: TakeNotificationsOptions): void {
  if (!Number.isInteger(options.limit) || options.limit <= 0) {
    throw RtmsError.invalidOptions(
      `takeDueNotifications limit must be a positive integer, got ${options.limit}`,
      'ask for at least one',
    );
  }
  if (!Number.isFinite(options.claimMs) || options.claimMs <= 0) {
    throw RtmsError.invalidOptions(
      `takeDueNotifications claimMs must be a positive number of milliseconds, got ${options.claimMs}`,
      'claim for longer than an attempt can take',
    );
  }
}

/** The instant before which settled notifications are pruned. */
export function notificationCutoff(now: number, olderThanMs: number | undefined): number {
  const ms = olderThanMs ?? NOTIFICATION_RETENTION_MS;
  if (!Number.isFinite(ms) || ms < 0) {
    throw RtmsError.invalidOptions(
      `notificationsOlderThanMs must be a non-negative number of milliseconds, got ${ms}`,
      `omit it for the default (${NOTIFICATION_RETENTION_MS} ms)`,
    );
  }
  return now - ms;
}
