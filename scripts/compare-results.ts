// Compare two results.json files the way the reporter compares a run with its baseline,
// and print every figure with how close it came to its band (the A/A calibration view).
//
//   npx tsx scripts/compare-results.ts BASELINE.json CURRENT.json [--z 3]
//
// Exit 0 when nothing was flagged, 1 when something was, 2 on bad input.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { compareWithBaseline, parseResultsDocument, resolveNoise } from '../src/reporters/baseline.js';
import { calibrate, renderCalibration, renderComparison } from '../src/reporters/render/comparison.js';
import type { BaselineComparison } from '../src/reporters/model.js';

export function readResults(path: string) {
  try {
    return parseResultsDocument(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}

export function comparePaths(baseline: string, current: string, z?: number): BaselineComparison {
  return compareWithBaseline(
    readResults(current).scenarios,
    readResults(baseline),
    baseline,
    resolveNoise(z === undefined ? {} : { z }),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const zAt = args.indexOf('--z');
  const z = zAt >= 0 ? Number(args.splice(zAt, 2)[1]) : undefined;
  if (args.length !== 2 || (z !== undefined && !(z > 0))) {
    console.error('usage: npx tsx scripts/compare-results.ts BASELINE.json CURRENT.json [--z 3]');
    process.exit(2);
  }
  try {
    const comparison = comparePaths(args[0]!, args[1]!, z);
    console.log(renderComparison(comparison, `${args[1]} against ${args[0]}`));
    const noisy = comparison.deltas.some((d) => d.regression) ? 1 : 0;
    console.log(`\n${renderCalibration(calibrate(comparison.deltas), 1, noisy)}`);
    process.exit(noisy);
  } catch (error) {
    console.error(`compare-results: ${(error as Error).message}`);
    process.exit(2);
  }
}
