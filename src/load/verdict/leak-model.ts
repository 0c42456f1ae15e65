// The memory model a trend verdict is fitted with: a warm-up that levels off, plus a
// straight-line leak, plus noise:
//
//   y(t) = level + amplitude · e^(−t/τ) + slope · t + ε
//
// A clean target's memory rises while it warms up (JIT code, caches, connection objects;
// for RSS also V8 heap sizing and allocator arenas) and levels off; the e^(−t/τ) term is
// that warm-up, fitted explicitly instead of cut off after a fixed time, so its tail is
// not mistaken for a leak in a short run. For each τ of a grid (span/40 … span/2: a
// slower warm-up is a straight line over the run, the leak's own shape, and is left to
// the growth floor) and for "no warm-up" the model is linear and fitted by iteratively reweighted
// least squares with Huber weights, so single spikes do not steer it; the Bayesian
// information criterion ranks the candidates.
//
// A short run often cannot tell a slow warm-up from a leak: several models fit about as
// well and disagree on the slope. So (1) the slope a verdict states, and its bound, is
// averaged over the straight line and the best warm-up model, weighted by their BIC
// (w ∝ e^(−BIC/2)), its error carrying both the models' errors and their disagreement,
//   Var = Σ wᵢ (SEᵢ² + (bᵢ − b̄)²);
// and (2) every model within ΔBIC ≤ 6 of the best is kept as plausible, for `growing`
// to require that all of them rise.
// Each model's slope error is its least-squares error with a finite-sample residual
// scale (√(Σ w·r² / (n − p))), widened for serial correlation (lag-1 autocorrelation of
// the residuals, bias-corrected for short series: × √((1+ρ)/(1−ρ))); tests use Student's
// t with n − p degrees of freedom (of the warm-up model once it carries weight).
import { lag1Autocorrelation, mad } from '../internal/stats.js';

export interface LeakFit {
  /** MiB per minute (the unit of the inputs per minute of `ts`). */
  slope: number;
  stdErr: number;
  /** Degrees of freedom of the slope's t statistic (readings − parameters). */
  dof: number;
  /** Level the warm-up approaches (at t = 0 of the fit, without the slope). */
  level: number;
  /** Warm-up time constant in the unit of `ts`, undefined when no warm-up term was kept. */
  tau?: number;
  /** Warm-up amplitude (negative: memory rose towards the level). */
  amplitude?: number;
  /** Residual scale. */
  sigma: number;
  /** Bayesian information criterion (lower is better). */
  bic: number;
}

export interface LeakFits {
  /** The model with the lowest BIC (its warm-up and line are what a chart draws). */
  best: LeakFit;
  /** The straight line (no warm-up term). */
  linear: LeakFit;
  /** The best model with a warm-up term, when there were readings enough for one. */
  warm?: LeakFit;
  /** The slope averaged over the two by BIC weight, with its error: what a verdict judges. */
  averaged: { slope: number; stdErr: number; dof: number; warmWeight: number };
  /**
   * Every model (the line, each τ of the grid) within ΔBIC ≤ 6 of the best — those the
   * data cannot rule out. `growing` needs all of them to rise (verdict/trend.ts): a slow
   * warm-up that fits as well as a leak is never called one.
   */
  plausible: LeakFit[];
}

/** Models this much worse by BIC than the best are ruled out ("strong" evidence against them). */
export const PLAUSIBLE_DELTA_BIC = 6;

const HUBER_K = 1.345;

/** Fit the model to ys over ts (ts in minutes from the first reading; any unit works). */
export function fitLeakModel(ts: readonly number[], ys: readonly number[]): LeakFits {
  const n = Math.min(ts.length, ys.length);
  const none: LeakFit = { slope: 0, stdErr: Infinity, dof: 0, level: ys[0] ?? 0, sigma: 0, bic: Infinity };
  if (n === 0)
    return {
      best: none,
      linear: none,
      averaged: { slope: 0, stdErr: Infinity, dof: 0, warmWeight: 0 },
      plausible: [none],
    };
  const span = n > 1 ? ts[n - 1] - ts[0] : 0;
  const x = ts.slice(0, n).map((t) => t - ts[0]);
  const y = ys.slice(0, n);
  const linear = fitFor(x, y, undefined) ?? none;
  const warmFits: LeakFit[] = [];
  // A warm-up term needs enough readings to be told from noise (4 parameters, ≥ 4 left over).
  if (n >= 8 && span > 0) {
    for (let k = 0; k < 14; k++) {
      const fit = fitFor(x, y, (span / 40) * 20 ** (k / 13));
      if (fit) warmFits.push(fit);
    }
  }
  const warm = warmFits.reduce<LeakFit | undefined>((a, f) => (!a || f.bic < a.bic ? f : a), undefined);
  const best = warm && warm.bic < linear.bic ? warm : linear;
  const plausible = [linear, ...warmFits]
    .filter((f) => f.bic <= best.bic + PLAUSIBLE_DELTA_BIC)
    .sort((a, b) => a.bic - b.bic);
  return { best, linear, ...(warm ? { warm } : {}), averaged: average(linear, warm), plausible };
}

/** BIC-weighted average of the line's and the warm-up model's slopes, with its error. */
function average(linear: LeakFit, warm: LeakFit | undefined): LeakFits['averaged'] {
  if (!warm || !Number.isFinite(warm.stdErr))
    return { slope: linear.slope, stdErr: linear.stdErr, dof: linear.dof, warmWeight: 0 };
  const minBic = Math.min(linear.bic, warm.bic);
  const wl = Math.exp(-(linear.bic - minBic) / 2);
  const ww = Math.exp(-(warm.bic - minBic) / 2);
  const wLinear = wl / (wl + ww);
  const wWarm = ww / (wl + ww);
  const slope = wLinear * linear.slope + wWarm * warm.slope;
  const variance =
    wLinear * (linear.stdErr ** 2 + (linear.slope - slope) ** 2) +
    wWarm * (warm.stdErr ** 2 + (warm.slope - slope) ** 2);
  return { slope, stdErr: Math.sqrt(variance), dof: wWarm > 0.05 ? warm.dof : linear.dof, warmWeight: wWarm };
}

/**
 * Huber IRLS for columns [1, e^(−x/τ)?, x]; undefined when the design is singular. A
 * warm-up model's slope is not allowed below 0: a warm-up that levels off and then a
 * steady decline is not a shape memory takes (the exp term with τ near the span would
 * otherwise trade its rise against a negative slope to draw a plateau); such a fit is
 * redone as a pure warm-up (slope 0), keeping the unconstrained slope's error.
 */
function fitFor(x: readonly number[], ys: readonly number[], tau: number | undefined): LeakFit | undefined {
  const fit = fitColumns(x, ys, tau, true);
  if (!fit || tau === undefined || fit.slope >= 0) return fit;
  const flat = fitColumns(x, ys, tau, false);
  return flat ? { ...flat, slope: 0, stdErr: fit.stdErr, dof: fit.dof } : fit;
}

function fitColumns(
  x: readonly number[],
  ys: readonly number[],
  tau: number | undefined,
  withSlope: boolean,
): LeakFit | undefined {
  const n = x.length;
  const rows = x.map((t) => {
    const row = tau === undefined ? [1] : [1, Math.exp(-t / tau)];
    return withSlope ? [...row, t] : row;
  });
  const p = rows[0]!.length;
  let w = new Array<number>(n).fill(1);
  let beta = new Array<number>(p).fill(0);
  let inverse: number[][] | undefined;
  let residuals = [...ys];
  let scale = 0;
  for (let iter = 0; iter < 8; iter++) {
    const solved = weightedLeastSquares(rows, ys, w);
    if (!solved) return undefined;
    beta = solved.beta;
    inverse = solved.inverse;
    residuals = ys.map((y, i) => y - dot(rows[i]!, beta));
    scale = 1.4826 * mad(residuals, 0);
    if (!(scale > 0)) break;
    w = residuals.map((r) => Math.min(1, (HUBER_K * scale) / Math.max(Math.abs(r), 1e-12)));
  }
  const dof = n - p;
  // Huber loss, scaled like a sum of squares, so BIC compares models on robust residuals.
  const s = scale > 0 ? scale : 1;
  const loss = residuals.reduce((acc, r) => {
    const a = Math.abs(r) / s;
    return acc + s * s * (a <= HUBER_K ? a * a : 2 * HUBER_K * a - HUBER_K * HUBER_K);
  }, 0);
  // Finite-sample residual scale (the MAD alone shrinks at n ≈ 10 and understates the error).
  const sigma = dof > 0 ? Math.sqrt(residuals.reduce((acc, r, i) => acc + w[i]! * r * r, 0) / dof) : Infinity;
  const rho = biasCorrectedRho(residuals, p);
  const varSlope = inverse ? inverse[p - 1]![p - 1]! : Infinity;
  const stdErr = sigma * Math.sqrt(Math.max(varSlope, 0)) * Math.sqrt((1 + rho) / (1 - rho));
  return {
    slope: withSlope ? beta[p - 1]! : 0,
    stdErr: withSlope && Number.isFinite(stdErr) ? stdErr : Infinity,
    dof,
    level: beta[0]!,
    sigma,
    bic: n * Math.log(Math.max(loss, 1e-12) / n) + p * Math.log(n),
    ...(tau !== undefined ? { tau, amplitude: beta[1]! } : {}),
  };
}

/**
 * Lag-1 autocorrelation of regression residuals, corrected for its downward bias in short
 * series (≈ −(1 + 3ρ)/n, plus the fitted parameters' share), clamped to [0, 0.9].
 */
function biasCorrectedRho(residuals: readonly number[], parameters: number): number {
  const n = residuals.length;
  if (n < 4) return 0;
  const raw = lag1Autocorrelation(residuals);
  const corrected = raw + (1 + 3 * raw + parameters) / n;
  return Math.min(0.9, Math.max(0, corrected));
}

/** Solve (XᵀWX)β = XᵀWy; also returns (XᵀWX)⁻¹, or undefined when singular. */
function weightedLeastSquares(
  rows: number[][],
  ys: readonly number[],
  w: readonly number[],
): { beta: number[]; inverse: number[][] } | undefined {
  const p = rows[0]!.length;
  const a = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  rows.forEach((row, i) => {
    for (let j = 0; j < p; j++) {
      b[j]! += w[i]! * row[j]! * ys[i]!;
      for (let k = 0; k < p; k++) a[j]![k]! += w[i]! * row[j]! * row[k]!;
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
    for (let r = col + 1; r < p; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-12 * scale) return undefined;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const d = a[col]![col]!;
    for (let k = 0; k < 2 * p; k++) a[col]![k]! /= d;
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = a[r]![col]!;
      if (f !== 0) for (let k = 0; k < 2 * p; k++) a[r]![k]! -= f * a[col]![k]!;
    }
  }
  return a.map((row) => row.slice(p));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
