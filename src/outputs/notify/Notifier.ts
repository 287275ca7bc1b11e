/**
 * Outbound webhooks from the store's outbox: bus events become notifications written to the outbox
 * first, and a background loop takes the due ones (claimed, so in a fleet one instance sends each at a
 * time), POSTs them signed, with a timeout and bounded concurrency, and records each outcome: delivered,
 * retried with backoff, or failed for good (refused by the receiver, or given up after
 * {@link NOTIFY_GIVE_UP_MS}). One stream's notifications go in order until one has held the rest for
 * {@link NOTIFY_ORDER_HOLD_MS}; a restart or a receiver outage loses nothing that reached the outbox.
 */
import type { Logger } from 'pino';
import type { ClaimedNotification, NewNotification } from '../../store/outbox.js';
import type { OutboxMethods } from '../../store/outboxStore.js';
import type { BusEvent, EventBus } from '../EventBus.js';
import { NOTIFICATION_SOURCES, notificationOf } from './notifications.js';
import { OutboxWriter } from './OutboxWriter.js';
import { type AttemptOutcome, attemptDelivery } from './post.js';
import type { NotifyRetryPolicy } from './retryPolicy.js';
import { notifyRetryPolicy } from './retryPolicy.js';
import { notificationHeaders } from './signature.js';
import { NOTIFICATION_TYPES, NOTIFY_USER_AGENT, type NotificationType } from './types.js';

/** One attempt waits this long for the receiver's answer. */
export const NOTIFY_REQUEST_TIMEOUT_MS = 10_000;
/** Attempts in flight at once, over all streams. */
export const NOTIFY_CONCURRENCY = 4;
/** How often the outbox is looked at for due retries and expired claims (new notifications go at once). */
export const NOTIFY_POLL_INTERVAL_MS = 1_000;
/** How long a taken notification is this instance's: well past the request timeout. */
export const NOTIFY_CLAIM_MS = 60_000;
/** A notification failing this long stops holding back the later ones of its stream. */
export const NOTIFY_ORDER_HOLD_MS = 10 * 60 * 1000;
/** At stop, attempts under way (and what is due) get this long before they are cut off. */
export const NOTIFY_STOP_GRACE_MS = 2_000;

/** What the notifier needs of the store. */
export type NotificationOutbox = Omit<OutboxMethods, 'getNotification'>;

/** The timings of a notifier; tests shorten them. */
export interface NotifierTuning {
  /** Default {@link NOTIFY_REQUEST_TIMEOUT_MS}. */
  requestTimeoutMs?: number;
  /** Default {@link NOTIFY_CONCURRENCY}. */
  concurrency?: number;
  /** Default {@link NOTIFY_POLL_INTERVAL_MS}. */
  pollIntervalMs?: number;
  /** Default {@link NOTIFY_CLAIM_MS}. */
  claimMs?: number;
  /** Default {@link NOTIFY_ORDER_HOLD_MS}. */
  orderHoldMs?: number;
  /** Default {@link NOTIFY_STOP_GRACE_MS}. */
  stopGraceMs?: number;
  /** Default: `notifyRetryPolicy()` (1 s doubling to 5 min, given up after 24 h). */
  retryPolicy?: NotifyRetryPolicy;
}

export interface NotifierOptions extends NotifierTuning {
  store: NotificationOutbox;
  /** Where to POST; from configuration only. */
  url: string;
  /** Signs every request; never logged. */
  secret: string;
  /** Default {@link NOTIFY_USER_AGENT}. */
  userAgent?: string;
  logger: Logger;
  /** Epoch milliseconds; default `Date.now`. */
  now?: () => number;
}

/** A type as counted: one of this version's, or `other` for one a newer version wrote to the outbox. */
export type NotificationTypeLabel = NotificationType | 'other';

export const NOTIFICATION_TYPE_LABELS: readonly NotificationTypeLabel[] = [...NOTIFICATION_TYPES, 'other'];

/** Per type, what became of notifications: delivered, failed for good, tried again, lost before the outbox. */
export interface NotifierCounters {
  sent: Record<NotificationTypeLabel, number>;
  failed: Record<NotificationTypeLabel, number>;
  retried: Record<NotificationTypeLabel, number>;
  dropped: Record<NotificationTypeLabel, number>;
}

const byType = (): Record<NotificationTypeLabel, number> =>
  Object.fromEntries(NOTIFICATION_TYPE_LABELS.map((t) => [t, 0])) as Record<NotificationTypeLabel, number>;

export class Notifier implements AsyncDisposable {
  readonly counters: NotifierCounters = {
    sent: byType(),
    failed: byType(),
    retried: byType(),
    dropped: byType(),
  };
  private readonly options: NotifierOptions;
  private readonly writer: OutboxWriter;
  private readonly retryPolicy: NotifyRetryPolicy;
  private readonly now: () => number;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly stopAttempts = new AbortController();
  private readonly detach: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  private storeFailing = false;
  private pendingNow = 0;
  private countedAt = Number.NEGATIVE_INFINITY;
  private running = false;
  private stopping: Promise<void> | undefined;
  /** Called when nothing is in flight or being taken (the stop's drain waits for it). */
  private onIdle: (() => void) | undefined;

  constructor(options: NotifierOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.retryPolicy = options.retryPolicy ?? notifyRetryPolicy();
    const { logger } = options;
    this.writer = new OutboxWriter({
      store: options.store,
      written: () => this.wake(),
      dropped: (n, why) => {
        this.counters.dropped[typeOf(n.type)] += 1;
        logger.error({ notification: n.id, type: n.type, stream: n.streamId, why }, 'notification lost');
      },
      storeFailed: (err, waiting) =>
        logger.warn({ err, waiting }, 'store unreachable: notifications wait to be written to the outbox'),
      storeBack: (written) => logger.info({ written }, 'notifications written to the outbox again'),
    });
  }

  /** Notifications pending in the outbox, as last counted (every poll). */
  get pending(): number {
    return this.pendingNow;
  }

  /** Starts the loop: what the outbox holds from before (a restart) goes first. */
  start(): void {
    if (this.running || this.stopping) return;
    this.running = true;
    this.wake();
  }

  /**
   * Writes the notification of every event of `bus` this instance published whose type is in `types`.
   * Events relayed from other instances of a fleet are theirs to notify, and `skip` passes over others
   * (the service's own shutdown is no end of a stream).
   */
  listen(
    bus: EventBus,
    types: ReadonlySet<NotificationType>,
    options: { skip?: (event: BusEvent) => boolean } = {},
  ): void {
    const sources = new Set<string>([...types].map((type) => NOTIFICATION_SOURCES[type]));
    this.detach.push(
      bus.subscribe({ types: sources }, (event) => {
        if (event.origin !== bus.instanceId || options.skip?.(event) === true) return;
        const notification = notificationOf(event, types);
        if (notification !== undefined) this.notify(notification);
      }),
    );
  }

  /** Writes a notification to the outbox; the loop sends it once it is there. */
  notify(notification: NewNotification): void {
    this.writer.add(notification);
  }

  /**
   * Stops listening, writes what waits for the outbox, gives what is due and under way
   * {@link NOTIFY_STOP_GRACE_MS} to go, then cuts off the attempts left (they stay pending, due at once)
   * and resolves once every outcome is recorded. Call it before the store closes. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const off of this.detach.splice(0)) off();
      await this.writer.close();
      const idle = new Promise<void>((done) => {
        this.onIdle = done;
      });
      this.wake();
      this.checkIdle();
      const grace = setTimeout(
        () => this.stopAttempts.abort(),
        this.options.stopGraceMs ?? NOTIFY_STOP_GRACE_MS,
      );
      await idle;
      clearTimeout(grace);
      clearTimeout(this.timer);
      this.timer = undefined;
    })();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private wake(): void {
    if (!this.running || this.stopAttempts.signal.aborted) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.wake();
      }
      this.checkIdle();
    });
  }

  private async pump(): Promise<void> {
    const concurrency = this.options.concurrency ?? NOTIFY_CONCURRENCY;
    try {
      while (this.inflight.size < concurrency && !this.stopAttempts.signal.aborted) {
        const taken = await this.options.store.takeDueNotifications({
          limit: concurrency - this.inflight.size,
          claimMs: this.options.claimMs ?? NOTIFY_CLAIM_MS,
        });
        for (const notification of taken) this.attempt(notification);
        if (taken.length === 0) break;
      }
      // Counted once a poll interval, not after every delivery.
      if (this.now() - this.countedAt >= this.pollIntervalMs()) {
        this.pendingNow = await this.options.store.countPendingNotifications();
        this.countedAt = this.now();
      }
      if (this.storeFailing) this.options.logger.info('outbox readable again: notifications go on');
      this.storeFailing = false;
    } catch (err) {
      if (!this.storeFailing) this.options.logger.warn({ err }, 'outbox unreadable: notifications wait');
      this.storeFailing = true;
    }
    if (this.stopping === undefined) {
      this.timer = setTimeout(() => this.wake(), this.pollIntervalMs());
      this.timer.unref();
    }
  }

  private pollIntervalMs(): number {
    return this.options.pollIntervalMs ?? NOTIFY_POLL_INTERVAL_MS;
  }

  private attempt(notification: ClaimedNotification): void {
    const { options } = this;
    const run = (async () => {
      const headers = notificationHeaders({
        secret: options.secret,
        id: notification.id,
        body: notification.body,
        timestamp: this.now() / 1000,
        userAgent: options.userAgent ?? NOTIFY_USER_AGENT,
      });
      const outcome = await attemptDelivery({
        url: options.url,
        headers,
        body: notification.body,
        timeoutMs: options.requestTimeoutMs ?? NOTIFY_REQUEST_TIMEOUT_MS,
        signal: this.stopAttempts.signal,
      });
      await this.record(notification, outcome);
    })()
      .catch((err: unknown) =>
        // The claim expires and the notification is tried again; the receiver dedupes on its id.
        options.logger.warn({ err, notification: notification.id }, 'notification outcome not recorded'),
      )
      .finally(() => {
        this.inflight.delete(notification.id);
        this.wake();
        this.checkIdle();
      });
    this.inflight.set(notification.id, run);
  }

  private async record(n: ClaimedNotification, outcome: AttemptOutcome): Promise<void> {
    const { store, logger } = this.options;
    const attempts = n.attempts + 1;
    const type = typeOf(n.type);
    const about = { notification: n.id, type: n.type, stream: n.streamId, attempts };
    let recorded: boolean;
    switch (outcome.kind) {
      case 'delivered':
        recorded = await store.markNotificationDelivered(n.id, n.claim, attempts);
        if (recorded) this.counters.sent[type] += 1;
        logger.debug({ ...about, status: outcome.status }, 'notification delivered');
        break;
      case 'refused':
        recorded = await store.markNotificationFailed(n.id, n.claim, { attempts, lastError: outcome.error });
        if (recorded) this.counters.failed[type] += 1;
        logger.error(
          { ...about, status: outcome.status, error: outcome.error },
          'notification refused by the receiver: not tried again',
        );
        break;
      case 'interrupted':
        recorded = await store.rescheduleNotification(n.id, n.claim, {
          dueAt: this.now(),
          attempts,
          lastError: outcome.error,
        });
        break;
      case 'retry': {
        const elapsedMs = this.now() - n.createdAt;
        const delayMs = this.retryPolicy(attempts, elapsedMs);
        if (delayMs === null) {
          const lastError = `given up after ${attempts} attempts in ${Math.round(elapsedMs / 60_000)} min: ${outcome.error}`;
          recorded = await store.markNotificationFailed(n.id, n.claim, { attempts, lastError });
          if (recorded) this.counters.failed[type] += 1;
          logger.error({ ...about, error: outcome.error }, 'notification given up');
          break;
        }
        recorded = await store.rescheduleNotification(n.id, n.claim, {
          dueAt: Math.round(this.now() + delayMs),
          attempts,
          lastError: outcome.error,
          releaseOrder: elapsedMs >= (this.options.orderHoldMs ?? NOTIFY_ORDER_HOLD_MS),
        });
        if (recorded) this.counters.retried[type] += 1;
        logger.warn(
          { ...about, error: outcome.error, retryInMs: Math.round(delayMs) },
          'notification failed: retrying',
        );
        break;
      }
    }
    if (!recorded) logger.debug(about, 'notification claim expired before its outcome was recorded');
  }

  private checkIdle(): void {
    if (this.onIdle === undefined || this.pumping !== undefined || this.inflight.size > 0) return;
    const done = this.onIdle;
    this.onIdle = undefined;
    // Nothing starts from here on: the store may close once the stop resolves.
    this.running = false;
    done();
  }
}

function typeOf(type: string): NotificationTypeLabel {
  return (NOTIFICATION_TYPES as readonly string[]).includes(type) ? (type as NotificationType) : 'other';
}
