import type { Reporter, RunnerTask, RunnerTestFile } from 'vitest';

/**
 * Ends a run with one plain line, `tests: N passed, N failed, N skipped`, the closing line CI tooling reads whatever
 * the test runner; vitest's own summary stays above it.
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (task: RunnerTask): void => {
      if (task.type === 'suite') {
        task.tasks.forEach(visit);
        return;
      }
      const state = task.result?.state;
      if (state === 'pass') counts.passed++;
      else if (state === 'fail') counts.failed++;
      else counts.skipped++;
    };
    files.forEach(visit);
    // A file that failed to load has no tests to count; it is still a failure.
    counts.failed += files.filter((file) => file.result?.state === 'fail' && file.tasks.length === 0).length;
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
