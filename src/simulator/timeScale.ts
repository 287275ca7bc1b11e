/** The one check of a `timeScale`: how many times faster than real time simulated time runs. */
import { RtmsError } from '../protocol/errors.js';

/**
 * Which time scales a clock accepts: any above 0, or only real time and faster (for waits that are
 * never slowed down: webhook retries, token lifetimes).
 */
export type TimeScaleFloor = 'above-zero' | 'real-time';

/** Returns the time scale (default 1), or throws `INVALID_OPTIONS` naming it. */
export function checkTimeScale(given: number | undefined, floor: TimeScaleFloor = 'above-zero'): number {
  const timeScale = given ?? 1;
  const realTime = floor === 'real-time';
  if (Number.isFinite(timeScale) && (realTime ? timeScale >= 1 : timeScale > 0)) return timeScale;
  throw RtmsError.invalidOptions(
    `timeScale must be ${realTime ? 'a number of at least 1' : 'a positive number'}, got ${given}`,
    `pass ${realTime ? '1 or more' : 'a number above 0'}: 1 is real time, 4 runs four times faster`,
  );
}
