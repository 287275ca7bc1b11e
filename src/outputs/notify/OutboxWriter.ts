/**
 * Writes notifications to the store's outbox one after the other, in the order they came, so each
 * stream's order in the outbox is the order of its events. While the store cannot take them (Redis away,
 * a disk error) they wait here, bounded, and are written again every {@link OUTBOX_WRITE_RETRY_MS}.
 */
import type { NewNotification } from '../../store/outbox.js';
import type { Store } from '../../store/Store.js';

/** Wait between attempts to write to a store that failed. */
export const OUTBOX_WRITE_RETRY_MS = 1_000;
/** Notifications that may wait for the store at once; past it the oldest are dropped (and counted). */
export const MAX_UNWRITTEN_NOTIFICATIONS = 10_000;

export interface OutboxWriterOptions {
  store: Pick<Store, 'enqueueNotification'>;
  /** Default {@link OUTBOX_WRITE_RETRY_MS}. */
  retryMs?: number;
  /** Default {@link MAX_UNWRITTEN_NOTIFICATIONS}. */
  maxWaiting?: number;
  /** A notification is in the outbox (or was already). */
  written(notification: NewNotification): void;
  /** A notification is lost: the queue was full, or the writer closed before the store took it. */
  dropped(notification: NewNotification, why: string): void;
  /** The store refused a write: once per outage, with how many wait. */
  storeFailed(err: unknown, waiting: number): void;
  /** The store takes writes again after an outage. */
  storeBack(written: number): void;
}

export class OutboxWriter {
  private readonly options: OutboxWriterOptions;
  private readonly queue: NewNotification[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The store failed and has not taken a write since. */
  private failing = false;
  private closed = false;

  constructor(options: OutboxWriterOptions) {
    this.options = options;
  }

  add(notification: NewNotification): void {
    if (this.closed) {
      this.options.dropped(notification, 'the notifier has stopped');
      return;
    }
    if (this.queue.length >= (this.options.maxWaiting ?? MAX_UNWRITTEN_NOTIFICATIONS)) {
      const oldest = this.queue.shift();
      if (oldest) this.options.dropped(oldest, 'too many notifications waiting for the store');
    }
    this.queue.push(notification);
    this.kick();
  }

  /**
   * Stops retrying: makes one last attempt at what waits (the store is still open), drops what the store
   * still does not take, and resolves once done. Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    if (this.queue.length > 0) await this.drain();
    for (const left of this.queue.splice(0))
      this.options.dropped(left, 'the store did not take it before the stop');
  }

  private kick(): void {
    if (this.writing !== undefined || this.timer !== undefined) return;
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
    });
  }

  private async drain(): Promise<void> {
    let writtenAfterOutage = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as NewNotification;
      try {
        await this.options.store.enqueueNotification(next);
      } catch (err) {
        if (!this.failing) this.options.storeFailed(err, this.queue.length);
        this.failing = true;
        if (!this.closed) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.kick();
          }, this.options.retryMs ?? OUTBOX_WRITE_RETRY_MS);
          this.timer.unref();
        }
        return;
      }
      // The head may have been dropped meanwhile by a full queue: only remove it if it is still there.
      if (this.queue[0] === next) this.queue.shift();
      if (this.failing) writtenAfterOutage += 1;
      this.options.written(next);
    }
    if (this.failing) {
      this.failing = false;
      this.options.storeBack(writtenAfterOutage);
    }
  }
}
