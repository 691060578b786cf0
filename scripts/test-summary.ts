// Prints the suite's result as one plain closing line, "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
}

const results = JSON.parse(readFileSync('test-artifacts/vitest-results.json', 'utf8')) as VitestJson;
console.log(
  `${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped`,
);
