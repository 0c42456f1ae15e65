// The memory model a trend verdict is fitted with: a warm-up that levels off, plus a
// straight-line leak, plus noise:
//
//   y(t) = level + amplitude · e^(−t/τ) + slope · t + ε
//
// A clean target's memory rises while it warms up (JIT code, caches, connection objects;
// for RSS also V8 heap sizing and allocator arenas) and levels off; the e^(−t/τ) term is
// that warm-up, fitted explicitly instead of cut off after a fixed time, so its tail is
// not mistaken for a leak in a short run. τ is chosen on a grid (span/40 … span/3, plus
// "no warm-up") by the Bayesian information criterion; for each τ the model is linear
// and fitted by iteratively reweighted least squares with Huber weights, so single
// spikes (an RSS jump, a reading taken mid-burst) do not steer it. The slope's standard
// error comes from the fit's covariance with a robust residual scale (1.4826 × MAD),
// widened for serial correlation (lag-1 autocorrelation ρ: × √((1+ρ)/(1−ρ))). Where a
// slow warm-up and a leak cannot be told apart in a short run, that error is large —
// the verdict then says so instead of guessing.
import { lag1Autocorrelation, mad } from '../internal/stats.js';

export interface LeakFit {
  /** MiB per minute (the unit of the inputs per minute of `ts`). */
  slope: number;
  stdErr: number;
  /** Level the warm-up approaches (at t = 0 of the fit, without the slope). */
  level: number;
  /** Warm-up time constant in the unit of `ts`, undefined when no warm-up term was kept. */
  tau?: number;
  /** Warm-up amplitude (negative: memory rose towards the level). */
  amplitude?: number;
  /** Robust residual scale. */
  sigma: number;
}

const HUBER_K = 1.345;

/** Fit the model to ys over ts (ts in minutes from the first reading; any unit works). */
export function fitLeakModel(ts: readonly number[], ys: readonly number[]): LeakFit {
  const n = ts.length;
  const span = n > 1 ? ts[n - 1] - ts[0] : 0;
  const x = ts.map((t) => t - ts[0]);
  let best = fitFor(x, ys, undefined);
  let bestScore = bic(best.rss, 2, n);
  if (n >= 8 && span > 0) {
    for (let k = 0; k < 12; k++) {
      const tau = (span / 40) * (40 / 3) ** (k / 11);
      const fit = fitFor(x, ys, tau);
      if (!fit.ok) continue;
      const score = bic(fit.rss, 4, n);
      if (score < bestScore) {
        best = fit;
        bestScore = score;
      }
    }
  }
  return {
    slope: best.beta[best.beta.length - 1],
    stdErr: best.stdErr,
    level: best.beta[0],
    sigma: best.sigma,
    ...(best.tau !== undefined ? { tau: best.tau, amplitude: best.beta[1] } : {}),
  };
}

function bic(rss: number, k: number, n: number): number {
  return n * Math.log(Math.max(rss, 1e-12) / n) + k * Math.log(n);
}

interface Fit {
  ok: boolean;
  beta: number[];
  rss: number;
  stdErr: number;
  sigma: number;
  tau?: number;
}

/** Huber IRLS for columns [1, e^(−x/τ)?, x]. */
function fitFor(x: readonly number[], ys: readonly number[], tau: number | undefined): Fit {
  const n = x.length;
  const rows = x.map((t) => (tau === undefined ? [1, t] : [1, Math.exp(-t / tau), t]));
  const p = rows[0]?.length ?? 2;
  let w = new Array<number>(n).fill(1);
  let beta = new Array<number>(p).fill(0);
  let inverse: number[][] | undefined;
  let residuals = [...ys];
  let sigma = 0;
  for (let iter = 0; iter < 8; iter++) {
    const solved = weightedLeastSquares(rows, ys, w);
    if (!solved) return { ok: false, beta, rss: Infinity, stdErr: Infinity, sigma: 0 };
    beta = solved.beta;
    inverse = solved.inverse;
    residuals = ys.map((y, i) => y - dot(rows[i], beta));
    sigma = 1.4826 * mad(residuals, 0);
    if (!(sigma > 0)) break;
    w = residuals.map((r) => Math.min(1, (HUBER_K * sigma) / Math.max(Math.abs(r), 1e-12)));
  }
  // Huber loss, scaled like a sum of squares, so BIC compares models on robust residuals.
  const s = sigma > 0 ? sigma : 1;
  const rss = residuals.reduce((acc, r) => {
    const a = Math.abs(r) / s;
    return acc + s * s * (a <= HUBER_K ? a * a : 2 * HUBER_K * a - HUBER_K * HUBER_K);
  }, 0);
  const rho = Math.min(0.8, Math.max(0, lag1Autocorrelation(residuals)));
  const varSlope = inverse ? inverse[p - 1][p - 1] : Infinity;
  const stdErr = sigma * Math.sqrt(Math.max(varSlope, 0)) * Math.sqrt((1 + rho) / (1 - rho));
  return { ok: true, beta, rss, stdErr: Number.isFinite(stdErr) ? stdErr : Infinity, sigma, tau };
}

/** Solve (XᵀWX)β = XᵀWy; also returns (XᵀWX)⁻¹, or undefined when singular. */
function weightedLeastSquares(rows: number[][], ys: readonly number[], w: readonly number[]): { beta: number[]; inverse: number[][] } | undefined {
  const p = rows[0].length;
  const a = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  rows.forEach((row, i) => {
    for (let j = 0; j < p; j++) {
      b[j] += w[i] * row[j] * ys[i];
      for (let k = 0; k < p; k++) a[j][k] += w[i] * row[j] * row[k];
    }
  });
  const inverse = invert(a);
  if (!inverse) return undefined;
  return { beta: inverse.map((r) => dot(r, b)), inverse };
}

/** Gauss–Jordan inverse with partial pivoting; undefined when (nearly) singular. */
function invert(m: number[][]): number[][] | undefined {
  const p = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: p }, (_, j) => (i === j ? 1 : 0))]);
  const scale = Math.max(...m.map((row) => Math.max(...row.map(Math.abs))), 1e-300);
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    if (Math.abs(a[pivot][col]) < 1e-12 * scale) return undefined;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    const d = a[col][col];
    for (let k = 0; k < 2 * p; k++) a[col][k] /= d;
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = a[r][col];
      if (f !== 0) for (let k = 0; k < 2 * p; k++) a[r][k] -= f * a[col][k];
    }
  }
  return a.map((row) => row.slice(p));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
