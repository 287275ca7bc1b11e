/**
 * Zoom's webhook delivery (reference §1.5): how long it waits for an answer, what counts as delivered,
 * which answers are retried and when, and the user agent its requests carry.
 */
/**
 * Zoom counts a delivery only if the endpoint answers within this many milliseconds. Real time: it is
 * never divided by `timeScale`, because it is about the receiver's speed, not the meeting's clock.
 */
export const WEBHOOK_RESPONSE_DEADLINE_MS = 3_000;

/**
 * Nominal delays of Zoom's three retries, each counted from the previous attempt: +5, +20 and +60 min
 * (≈ T+5, T+25, T+85 min). The sender divides them by `timeScale`.
 */
export const WEBHOOK_RETRY_DELAYS_MS = [300_000, 1_200_000, 3_600_000] as const;

/** Zoom's internal code for "no answer within the deadline" (ReadTimeOut). */
export const WEBHOOK_STATUS_TIMEOUT = -1;
/** Zoom's internal code for "could not connect or the connection failed" (ConnectionRefused). */
export const WEBHOOK_STATUS_CONNECTION_FAILED = -2;

/** A 200 or 204 on the original request; any 2xx on a retry ([WH] "Notification delivery"). */
export function isWebhookDelivered(status: number, attempt: number): boolean {
  if (attempt === 0) return status === 200 || status === 204;
  return status >= 200 && status <= 299;
}

/** Zoom retries 5xx and its own negative codes only; 3xx and 4xx (even 429) end the delivery. */
export function isWebhookRetryable(status: number): boolean {
  return status >= 500 || status < 0;
}

/** The `user-agent` Zoom's webhook requests carry. */
export const WEBHOOK_USER_AGENT = 'Zoom Marketplace/1.0a';
