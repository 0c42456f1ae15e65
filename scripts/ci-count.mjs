// Sums Vitest JSON reports into one plain line "N passed, N failed" for CI.
// A report that is missing or unreadable counts as one failure (the run it stands for
// did not complete). Exits 1 when anything failed.
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    // A file that failed to load, or an unhandled error, fails the run without failing a test.
    if (report.success === false && !report.numFailedTests) failed += Math.max(1, report.numFailedTestSuites ?? 0);
    if ((report.numTotalTests ?? 0) === 0) {
      console.error(`ci-count: ${file} ran no test`);
      failed += 1;
    }
  } catch (err) {
    console.error(`ci-count: cannot read ${file}: ${err.message}`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
