/**
 * Benchmark settings read from the environment (INGEST_ROUNDS, CODEC_ROUNDS …), each with its default.
 */

/** A positive integer from the environment variable `name`, or `fallback` when it is unset. */
export function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${text}`);
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
