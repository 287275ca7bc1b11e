/**
 * Benchmark settings read from the environment (INGEST_ROUNDS, CODEC_ROUNDS …), each with its default.
 */

/** An integer of at least `min` (default 1) from the environment variable `name`, or `fallback` when unset. */
export function envInt(name: string, fallback: number, options: { min?: number } = {}): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  const min = options.min ?? 1;
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer of at least ${min}, got ${text}`);
  return value;
}

/** A comma-separated list of positive integers, e.g. INGEST_STREAMS=200,1000. */
export function envInts(name: string, fallback: readonly number[]): number[] {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return [...fallback];
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1))
    throw new Error(`${name} must list positive integers, got ${text}`);
  return values;
}
