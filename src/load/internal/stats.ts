// Statistics for the verdicts (verdict/): median and MAD, lag-1 autocorrelation, normal
// and Student-t quantiles, subsampling. Theil–Sen and Mann–Kendall are kept as public
// helpers (src/load/index.ts); the trend verdict itself no longer uses them (it fits
// verdict/leak-model.ts). Medians here are robust statistics of series, not latency
// percentiles (those come from HDR histograms only).

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

/** Median absolute deviation from `center` (unscaled). */
export function mad(values: ArrayLike<number>, center = median(values)): number {
  const dev = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) dev[i] = Math.abs(values[i] - center);
  return median(dev);
}

/** Ordinary least squares: slope, intercept and the residual sum of squares. */
export function ols(xs: ArrayLike<number>, ys: ArrayLike<number>): { slope: number; intercept: number; sse: number } {
  const n = xs.length;
  if (n === 0) return { slope: 0, intercept: 0, sse: 0 };
  let sx = 0,
    sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i];
    sy += ys[i];
  }
  const mx = sx / n,
    my = sy / n;
  let sxx = 0,
    sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - intercept - slope * xs[i]) ** 2;
  return { slope, intercept, sse };
}

/** Lag-1 autocorrelation of a series (0 for fewer than 3 values or no variance). */
export function lag1Autocorrelation(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 3) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let num = 0,
    den = 0;
  for (let i = 0; i < n; i++) {
    den += (values[i] - mean) ** 2;
    if (i > 0) num += (values[i] - mean) * (values[i - 1] - mean);
  }
  return den > 0 ? num / den : 0;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9 after one Newton step). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p <= 0 ? -Infinity : Infinity;
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Newton step on the CDF.
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/**
 * Quantile of Student's t with `dof` degrees of freedom (Cornish–Fisher expansion around
 * the normal quantile; within 1 % of the exact value for dof ≥ 3, exact as dof → ∞).
 * dof < 1 gives Infinity: nothing can be said.
 */
export function studentTQuantile(p: number, dof: number): number {
  if (!(dof >= 1)) return Infinity;
  const z = normalQuantile(p);
  if (!Number.isFinite(dof) || dof > 1e6) return z;
  const z2 = z * z;
  const g1 = ((z2 + 1) * z) / 4;
  const g2 = (((5 * z2 + 16) * z2 + 3) * z) / 96;
  const g3 = ((((3 * z2 + 19) * z2 + 17) * z2 - 15) * z) / 384;
  const g4 = (((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z) / 92160;
  return z + g1 / dof + g2 / dof ** 2 + g3 / dof ** 3 + g4 / dof ** 4;
}
