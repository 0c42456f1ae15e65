// JSON renderer (pure): reports/load/results.json, schema `conduit.results/1`. It carries
// every figure plus the encoded histograms, so a later run can merge with it or use it
// as a baseline (`parseResultsDocument` in ../baseline.ts reads it back).

import { RESULTS_SCHEMA } from '../model.js';
import type { ResultsDocument, RunReport } from '../model.js';

export function toResultsDocument(report: RunReport): ResultsDocument {
  return {
    schema: RESULTS_SCHEMA,
    meta: report.meta,
    verdict: report.verdict,
    scenarios: report.scenarios,
    tests: report.tests,
    unhandledErrors: report.unhandledErrors,
    ...(report.baseline ? { baseline: report.baseline } : {}),
  };
}

export function renderResultsJson(report: RunReport): string {
  return `${JSON.stringify(toResultsDocument(report), null, 2)}\n`;
}
