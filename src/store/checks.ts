/**
 * Argument checks shared by the store implementations, so every store rejects the same bad input the
 * same way.
 */
import { RtmsError } from '../protocol/errors.js';
import { type PruneOptions, STREAM_RETENTION_MS } from './Store.js';

/** Throws `INVALID_OPTIONS` unless `ttlMs` is a positive finite number. */
export function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw RtmsError.invalidOptions(
      `delivery TTL must be a positive number of milliseconds, got ${ttlMs}`,
      'pass DELIVERY_TTL_MS or another positive duration',
    );
  }
}

/** The limit to apply, or `undefined` for all; throws `INVALID_OPTIONS` unless a non-negative integer. */
export function checkLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isInteger(limit) || limit < 0) {
    throw RtmsError.invalidOptions(
      `listStreams limit must be a non-negative integer, got ${limit}`,
      'omit the limit for all records',
    );
  }
  return limit;
}

/** The instant before which ended stream records are pruned. */
export function pruneCutoff(now: number, options: PruneOptions): number {
  const olderThanMs = options.streamsOlderThanMs ?? STREAM_RETENTION_MS;
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0) {
    throw RtmsError.invalidOptions(
      `streamsOlderThanMs must be a non-negative number of milliseconds, got ${olderThanMs}`,
      `omit it for the default (${STREAM_RETENTION_MS} ms)`,
    );
  }
  return now - olderThanMs;
}
