/**
 * When a failed notification is tried again: exponential backoff with jitter, and when it is given up.
 */

/** The first retry comes about this long after the first failure (half of it to all of it, with jitter). */
export const NOTIFY_RETRY_INITIAL_MS = 1_000;
/** Retries never wait longer than this. */
export const NOTIFY_RETRY_MAX_MS = 5 * 60 * 1000;
/** A notification still undelivered this long after it was enqueued is given up (failed, logged). */
export const NOTIFY_GIVE_UP_MS = 24 * 60 * 60 * 1000;

/**
 * The wait before the next attempt of a notification that failed `attempts` times, `elapsedMs` after it
 * was enqueued, or `null` to give it up.
 */
export type NotifyRetryPolicy = (attempts: number, elapsedMs: number) => number | null;

export interface NotifyRetryOptions {
  /** Default {@link NOTIFY_RETRY_INITIAL_MS}. */
  initialMs?: number;
  /** Default {@link NOTIFY_RETRY_MAX_MS}. */
  maxMs?: number;
  /** Default {@link NOTIFY_GIVE_UP_MS}. */
  giveUpAfterMs?: number;
  /** A number in [0, 1); default `Math.random`. */
  random?: () => number;
}

/**
 * Doubles the wait from `initialMs` up to `maxMs`, each wait drawn between half of it and all of it (so
 * a fleet of instances does not retry in step, and half the wait is a floor no failure can skip), and
 * gives up once `giveUpAfterMs` have passed since the notification was enqueued.
 */
export function notifyRetryPolicy(options: NotifyRetryOptions = {}): NotifyRetryPolicy {
  const initialMs = options.initialMs ?? NOTIFY_RETRY_INITIAL_MS;
  const maxMs = options.maxMs ?? NOTIFY_RETRY_MAX_MS;
  const giveUpAfterMs = options.giveUpAfterMs ?? NOTIFY_GIVE_UP_MS;
  const random = options.random ?? Math.random;
  return (attempts, elapsedMs) => {
    if (elapsedMs >= giveUpAfterMs) return null;
    // Past 2^30 the doubling has long hit any sane maximum.
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
    return ceiling / 2 + (random() * ceiling) / 2;
  };
}
