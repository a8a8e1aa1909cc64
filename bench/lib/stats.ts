/** Small statistics helpers (all values in milliseconds unless named otherwise). */

/** The q-quantile (0..1) of an ascending-sorted array, nearest-rank. NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

/** Median of an unsorted list (NaN when empty). */
export function median(values: readonly number[]): number {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  return quantileSorted(finite, 0.5);
}

export interface Spread {
  first: number;
  median: number;
  p99: number;
  last: number;
}

/** first / median / p99 / last of a set of latencies. Sorts `values` in place. */
export function spread(values: Float64Array): Spread {
  values.sort();
  return {
    first: quantileSorted(values, 0),
    median: quantileSorted(values, 0.5),
    p99: quantileSorted(values, 0.99),
    last: quantileSorted(values, 1),
  };
}
