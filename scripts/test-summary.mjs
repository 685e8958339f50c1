#!/usr/bin/env node
// Prints one closing line for CI over several jest --json result files: "N passed, N failed[, N skipped]".
import { readFileSync, existsSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
let suitesFailed = 0;
for (const f of process.argv.slice(2)) {
  if (!existsSync(f)) {
    suitesFailed += 1;
    console.log(`test-summary: ${f} missing (the run crashed before writing it)`);
    continue;
  }
  const r = JSON.parse(readFileSync(f, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  suitesFailed += r.numRuntimeErrorTestSuites ?? 0;
}
if (suitesFailed) failed += suitesFailed;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
