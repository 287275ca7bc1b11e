/** Waiting for a stream (or anything with a status and `stateChange` events) to reach a status. */
import { RtmsError } from '../protocol/errors.js';
import type { StateChange, StreamStatus } from './events.js';

/** What `entersState` watches. */
export interface StatusSource {
  readonly status: StreamStatus;
  on(event: 'stateChange', listener: (change: StateChange) => void): unknown;
  off(event: 'stateChange', listener: (change: StateChange) => void): unknown;
}

/**
 * Resolves when `source` reaches `target`; rejects with `endError()` (or CLOSED) when it ends in another
 * final status first, and with TIMEOUT or ABORTED when the time or the signal runs out.
 */
export function entersState(
  source: StatusSource,
  target: StreamStatus,
  timeoutOrSignal: number | AbortSignal,
  what: string,
  endError: () => RtmsError | undefined,
): Promise<void> {
  if (source.status === target) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const signal =
      typeof timeoutOrSignal === 'number' ? AbortSignal.timeout(timeoutOrSignal) : timeoutOrSignal;
    const cleanup = () => {
      source.off('stateChange', onChange);
      signal.removeEventListener('abort', onAbort);
    };
    const onChange = ({ to }: StateChange) => {
      if (to === target) {
        cleanup();
        resolve();
      } else if (to === 'closed' || to === 'lost' || to === 'failed') {
        cleanup();
        reject(endError() ?? RtmsError.closed(`${what} (${to})`));
      }
    };
    const onAbort = () => {
      cleanup();
      reject(
        typeof timeoutOrSignal === 'number'
          ? RtmsError.timeout(`${what} entering ${target}`, timeoutOrSignal)
          : RtmsError.aborted(`waiting for ${target}`),
      );
    };
    if (signal.aborted) return onAbort();
    source.on('stateChange', onChange);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
