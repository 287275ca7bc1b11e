/**
 * Figures over rounds and samples: min / median / max, percentiles, and the alternating round order that
 * every side-by-side comparison uses.
 */

export interface Spread {
  min: number;
  median: number;
  max: number;
}

function sorted(values: readonly number[]): number[] {
  if (values.length === 0) throw new Error('no values');
  return [...values].sort((a, b) => a - b);
}

/** The `p`-th percentile (0–100) by the nearest-rank method: a value that was actually measured. */
export function percentile(values: readonly number[], p: number): number {
  const s = sorted(values);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

/** The median; for an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  const s = sorted(values);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spread(values: readonly number[]): Spread {
  const s = sorted(values);
  return { min: s[0]!, median: median(s), max: s[s.length - 1]! };
}

/** `min 1.02 / median 1.05 / max 1.11` with a unit after each figure. */
export function formatSpread(s: Spread, digits: number, unit = ''): string {
  const f = (v: number) => `${v.toFixed(digits)}${unit}`;
  return `min ${f(s.min)} / median ${f(s.median)} / max ${f(s.max)}`;
}

/**
 * The order of the contenders in each round: as given in even rounds, reversed in odd ones (A,B then
 * B,A …), so that whatever drifts during a run (the other tenants of the machine, heat, the heap) does
 * not always favour the one that goes first.
 */
export function roundOrder<T>(round: number, contenders: readonly T[]): T[] {
  return round % 2 === 0 ? [...contenders] : [...contenders].reverse();
}
