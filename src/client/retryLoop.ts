/**
 * The recovery loop: attempt, and on failure ask the recovery table whether to go on, wait out the
 * reconnect policy's delay, and try again until it works or Zoom's window is spent.
 */
import type { MediaKind } from '../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import { recoveryForAttempt } from '../protocol/recovery.js';
import type { ReconnectedEvent, ReconnectingEvent, ReconnectScope } from './events.js';
import type { RecoveryCause } from './handshake.js';
import type { ReconnectPolicy } from './reconnectPolicy.js';

/** How far one recovery has come; a failover that replaces it goes on from here. */
export interface RecoveryProgress {
  /** When the connection was lost (performance.now()). */
  lostAt: number;
  /** Attempts made. */
  tries: number;
  /** Delays waited (each announced by a `reconnecting` event). */
  retries: number;
  /** The first connection, not a reconnection. */
  initial: boolean;
}

export function freshProgress(initial = false): RecoveryProgress {
  return { lostAt: performance.now(), tries: 0, retries: 0, initial };
}

/** What the loop reports; the stream decides what each means for its state. */
export interface RetryHost {
  readonly policy: ReconnectPolicy;
  /** The stream has been ready before: a status 2 is then an old server during a failover. */
  everReady(): boolean;
  /** The stream is over: stop without a word. */
  ended(): boolean;
  reconnecting(event: ReconnectingEvent): void;
  /** The attempt worked; `recovered` is set when it was a reconnection. */
  succeeded(scope: ReconnectScope, recovered: ReconnectedEvent | undefined): void;
  /** Zoom's window is spent, or the policy gave up. */
  lost(scope: ReconnectScope, kinds: MediaKind[], reason: string, windowMs: number, cause: unknown): void;
  /** A failure the table says no retry can fix. */
  failed(error: RtmsError): void;
}

export interface RetryRun {
  scope: ReconnectScope;
  kinds: MediaKind[];
  cause: RecoveryCause;
  windowMs: number;
  /** Aborted when the run is replaced or the stream ends. */
  signal: AbortSignal;
  /**
   * Try once before the first delay: a first connection, or a failover, whose new servers are worth
   * trying at once. A reconnection tried at once is announced as attempt 1 with no delay.
   */
  immediateFirst: boolean;
  attempt: () => Promise<void>;
  progress: RecoveryProgress;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(RtmsError.aborted('waiting to reconnect'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    const onAbort = () => {
      clearTimeout(timer);
      reject(RtmsError.aborted('waiting to reconnect'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function asRtmsError(err: unknown): RtmsError {
  return err instanceof RtmsError
    ? err
    : new RtmsError(RTMS_ERROR_CODES.CONNECTION_LOST, err instanceof Error ? err.message : String(err), {
        cause: err,
      });
}

/** Runs one recovery to its end: success, a fatal failure, or a lost stream. Never rejects. */
export async function retryLoop(host: RetryHost, run: RetryRun): Promise<void> {
  const { scope, kinds, windowMs, signal, progress } = run;
  const { lostAt } = progress;
  /** Attempts that met a status with a limit, per limit group (the recovery table's `limitGroup`). */
  const limited = new Map<string, number>();
  let immediate = run.immediateFirst;
  let lastError: unknown;
  const { trigger } = run.cause;
  let reason = run.cause.reason;
  for (;;) {
    if (signal.aborted || host.ended()) return;
    if (!immediate) {
      progress.retries++;
      const delay = host.policy({
        attempt: progress.retries,
        elapsedMs: performance.now() - lostAt,
        windowMs,
        scope,
        reason,
      });
      if (delay === null) {
        host.lost(scope, kinds, reason, windowMs, lastError);
        return;
      }
      host.reconnecting({ scope, kinds, trigger, reason, attempt: progress.retries, delayMs: delay });
      try {
        await sleep(delay, signal);
      } catch {
        return;
      }
    } else if (!progress.initial && progress.retries === 0) {
      // A reconnection tried at once (a failover, with the new servers known) is still announced.
      progress.retries = 1;
      host.reconnecting({ scope, kinds, trigger, reason, attempt: 1, delayMs: 0 });
    }
    immediate = false;
    progress.tries++;
    try {
      await run.attempt();
      if (signal.aborted) return;
      const recovered =
        progress.retries > 0
          ? { scope, kinds, downtimeMs: performance.now() - lostAt, attempts: progress.tries }
          : undefined;
      host.succeeded(scope, recovered);
      return;
    } catch (err) {
      if (signal.aborted || host.ended()) return;
      lastError = err;
      const verdict = recoveryForAttempt(err, host.everReady());
      if (!verdict.retry) {
        host.failed(asRtmsError(err));
        return;
      }
      if (verdict.limit !== undefined) {
        const count = (limited.get(verdict.limit.group) ?? 0) + 1;
        limited.set(verdict.limit.group, count);
        if (count > verdict.limit.maxAttempts) {
          host.failed(asRtmsError(err));
          return;
        }
      }
      reason = err instanceof Error ? err.message : String(err);
    }
  }
}
