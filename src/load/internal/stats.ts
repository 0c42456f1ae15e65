// Robust statistics for the memory trend: Theil–Sen slope (median of pairwise slopes)
// and the Mann–Kendall trend test with tie correction. Medians of slopes here are
// robust regression, not latency percentiles (those come from HDR histograms only).

/** Median of a numeric array (sorts a typed copy). NaN for an empty input. */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Keep at most `max` points, evenly spaced, always including the first and last. */
export function subsample<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let k = 0; k < max; k++) out.push(points[Math.round(k * step)]);
  return out;
}

/** Theil–Sen estimator: slope = median of (y_j − y_i)/(x_j − x_i) over pairs with x_i ≠ x_j. */
export function theilSen(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const n = xs.length;
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = xs[j] - xs[i];
      if (dx !== 0) slopes[k++] = (ys[j] - ys[i]) / dx;
    }
  }
  if (k === 0) return { slope: 0, intercept: median(ys) };
  const slope = median(slopes.subarray(0, k));
  const intercept = median(ys.map((y, i) => y - slope * xs[i]));
  return { slope, intercept };
}

export interface MannKendall {
  s: number;
  variance: number;
  z: number;
  /** Two-sided p-value (normal approximation). */
  pValue: number;
}

/** Mann–Kendall test for a monotonic trend in a series ordered by time. */
export function mannKendall(ys: readonly number[]): MannKendall {
  const n = ys.length;
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    for (let j = i + 1; j < n; j++) s += Math.sign(ys[j] - ys[i]);
  }
  // Tie correction: groups of equal values reduce the variance of S.
  const groups = new Map<number, number>();
  for (const y of ys) groups.set(y, (groups.get(y) ?? 0) + 1);
  let ties = 0;
  for (const t of groups.values()) if (t > 1) ties += t * (t - 1) * (2 * t + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - ties) / 18;
  let z = 0;
  if (variance > 0) {
    if (s > 0) z = (s - 1) / Math.sqrt(variance);
    else if (s < 0) z = (s + 1) / Math.sqrt(variance);
  }
  const pValue = variance > 0 ? Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) : 1;
  return { s, variance, z, pValue };
}

/** Standard normal CDF via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-a * a));
}
