/** Zoom's webhook delivery (reference §1.5): how long it waits for an answer. */

/**
 * Zoom counts a delivery (and a URL validation) only if the endpoint answers within this many
 * milliseconds; a later answer is a failed attempt, retried minutes later.
 */
export const WEBHOOK_RESPONSE_DEADLINE_MS = 3_000;
