/**
 * One attempt to deliver a notification: an HTTP POST with a timeout, and what its answer means for the
 * notification: delivered (2xx), to be tried again (no answer, 408, 429, 5xx), refused for good (any
 * other status), or interrupted by the notifier's own stop.
 */

/** What one attempt came to. `error` is a short reason for logs and the outbox, never the request. */
export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; error: string; status?: number }
  | { kind: 'refused'; error: string; status: number }
  | { kind: 'interrupted'; error: string };

/** Statuses that say "later" rather than "no": timeouts, rate limits and server errors. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export interface AttemptRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** The notifier's stop: aborts the attempt as `interrupted`. */
  signal: AbortSignal;
}

/**
 * POSTs once. Redirects are not followed: a signed body goes only where it was configured to go.
 * Resolves, never rejects.
 */
export async function attemptDelivery(request: AttemptRequest): Promise<AttemptOutcome> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.any([timeout, request.signal]),
    });
  } catch (err) {
    if (request.signal.aborted) return { kind: 'interrupted', error: 'interrupted by the service stopping' };
    if (timeout.aborted) return { kind: 'retry', error: `no answer within ${request.timeoutMs} ms` };
    return { kind: 'retry', error: networkError(err) };
  }
  const { status } = response;
  // The answer's body means nothing here; cancelling it frees the connection.
  await response.body?.cancel().catch(() => undefined);
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (retryable(status)) return { kind: 'retry', error: `HTTP ${status}`, status };
  if (status >= 300 && status < 400) {
    return {
      kind: 'refused',
      error: `HTTP ${status}: redirects are not followed; point RTMSKIT_NOTIFY_URL at the final URL`,
      status,
    };
  }
  return { kind: 'refused', error: `HTTP ${status}`, status };
}

/** `connect ECONNREFUSED 127.0.0.1:9000` rather than undici's bare `fetch failed`. */
function networkError(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
