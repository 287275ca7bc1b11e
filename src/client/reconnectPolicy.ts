/**
 * When to try again after a connection is lost. A policy returns the delay before attempt `attempt`, or
 * `null` to give up.
 */

export interface ReconnectContext {
  /** 1 for the first retry. */
  attempt: number;
  /** Since the connection was lost. */
  elapsedMs: number;
  /** Zoom's window for this loss: 60 s for signaling, 65 s for media. */
  windowMs: number;
  /** What is being reconnected. */
  scope: 'all' | 'media';
  /** Why, in words. */
  reason: string;
}

export type ReconnectPolicy = (context: ReconnectContext) => number | null;

/** First retry after about this long. */
export const RECONNECT_BASE_MS = 250;
/** Retries never wait longer than this. */
export const RECONNECT_MAX_DELAY_MS = 5_000;
/** Retries never come sooner than this, so an instant failure cannot spin. */
export const RECONNECT_MIN_DELAY_MS = 50;
/** ± share of random jitter, so many streams lost at once do not reconnect in lockstep. */
export const RECONNECT_JITTER = 0.2;

/**
 * ~250 ms, doubling, capped at 5 s, with ±20 % jitter; gives up when the next try would land outside
 * Zoom's window.
 */
export const defaultReconnectPolicy: ReconnectPolicy = ({ attempt, elapsedMs, windowMs }) => {
  const base = RECONNECT_BASE_MS * 2 ** Math.min(30, Math.max(0, attempt - 1));
  const jitter = 1 + (Math.random() * 2 - 1) * RECONNECT_JITTER;
  // Capped after the jitter, so no retry ever waits longer than the cap.
  const delay = Math.max(RECONNECT_MIN_DELAY_MS, Math.min(RECONNECT_MAX_DELAY_MS, Math.round(base * jitter)));
  return elapsedMs + delay >= windowMs ? null : delay;
};
