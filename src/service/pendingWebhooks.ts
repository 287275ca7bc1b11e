/**
 * Webhook events that could not be acted on because the store was unreachable (Redis down, say). Zoom
 * was answered 200 already and will not send them again, so they wait here, in arrival order per
 * stream, and are tried again until the store answers; past a deadline they are given up, and the log
 * says which and why.
 */
import { isRtmsError, RTMS_ERROR_CODES } from '../protocol/errors.js';
import type { WebhookEvent } from '../webhook/events.js';

/** How often waiting events are tried again. */
export const PENDING_RETRY_MS = 1_000;
/** An event waits at most this long: past Zoom's reconnect windows it can no longer help a stream. */
export const PENDING_MAX_AGE_MS = 5 * 60_000;
/** At most this many events wait; more are given up at once. */
export const PENDING_MAX_EVENTS = 10_000;

/** Whether an error means "the store cannot be reached now", so the event is worth trying again. */
export function isStoreUnreachable(err: unknown): boolean {
  return isRtmsError(err) && err.code === RTMS_ERROR_CODES.STORE_UNREACHABLE;
}

interface Waiting {
  event: WebhookEvent;
  since: number;
}

export interface PendingWebhooksOptions {
  /** Acts on an event; rejects with STORE_UNREACHABLE to be tried again later. */
  act(event: WebhookEvent): Promise<void>;
  /** An event given up, and why. */
  gaveUp(event: WebhookEvent, why: string): void;
  now?: () => number;
}

export class PendingWebhooks {
  private readonly waiting: Waiting[] = [];
  private readonly options: PendingWebhooksOptions;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private retrying = false;

  constructor(options: PendingWebhooksOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Events waiting now. */
  get size(): number {
    return this.waiting.length;
  }

  /** Keeps `event` for a later try. */
  add(event: WebhookEvent): void {
    if (this.waiting.length >= PENDING_MAX_EVENTS) {
      this.options.gaveUp(event, `${PENDING_MAX_EVENTS} events are already waiting for the store`);
      return;
    }
    this.waiting.push({ event, since: this.now() });
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.retry(), PENDING_RETRY_MS);
      this.timer.unref();
    }
  }

  /** Tries every waiting event once, oldest first; stops at the first that finds the store still away. */
  private async retry(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      while (this.waiting.length > 0) {
        const next = this.waiting[0] as Waiting;
        if (this.now() - next.since > PENDING_MAX_AGE_MS) {
          this.waiting.shift();
          this.options.gaveUp(next.event, `the store was unreachable for ${PENDING_MAX_AGE_MS / 60_000} min`);
          continue;
        }
        try {
          await this.options.act(next.event);
        } catch (err) {
          if (isStoreUnreachable(err)) return;
          this.options.gaveUp(next.event, (err as Error).message);
        }
        this.waiting.shift();
      }
      clearInterval(this.timer);
      this.timer = undefined;
    } finally {
      this.retrying = false;
    }
  }

  /** Stops retrying; what still waits is given up. Idempotent. */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const { event } of this.waiting.splice(0)) this.options.gaveUp(event, 'the service stopped');
  }
}
