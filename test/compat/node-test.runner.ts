import { join } from 'node:path';
import { ROOT } from '../fixtures/cli.fixture.js';
import { runProcess, tail, type CheckResult } from './compat.check.js';

/**
 * Runs compiled test files with `node --test` in a child process: TAP on
 * stdout for the counts, the skip reasons and the diagnostics; the spec
 * reporter's output in `log` for a reader.
 */

export interface TestRunOptions {
  /** Added to the environment of the run (and of every test process). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the spec reporter writes. */
  readonly log: string;
  readonly timeout: number;
}

export interface TestRunSummary {
  readonly counts: Readonly<Record<'tests' | 'pass' | 'fail' | 'skipped' | 'cancelled', number>>;
  /** Skip reason → how many tests skipped for it. */
  readonly skips: ReadonlyMap<string, number>;
  /** `# ` lines of the TAP output that are neither counts nor skips (`t.diagnostic()`). */
  readonly diagnostics: readonly string[];
  readonly failed: readonly string[];
}

const COUNT = /^# (tests|pass|fail|skipped|cancelled) (\d+)$/;
const SKIP = /^\s*ok \d+ - .* # SKIP (.*)$/;
const NOT_OK = /^\s*not ok \d+ - (.*)$/;
const DIAGNOSTIC = /^\s*# (\S.*)$/;
const SUMMARY_KEYS = /^(tests|suites|pass|fail|skipped|cancelled|todo|duration_ms) /;

export async function runTests(files: readonly string[], options: TestRunOptions): Promise<{ result: CheckResult; summary: TestRunSummary }> {
  const args = ['--test', '--test-reporter=tap', '--test-reporter-destination=stdout', '--test-reporter=spec', `--test-reporter-destination=${options.log}`];
  const run = await runProcess(process.execPath, [...args, ...files.map((file) => join(ROOT, file))], {
    cwd: ROOT,
    env: options.env,
    timeout: options.timeout,
  });
  const summary = summarize(run.stdout);
  const { pass, fail, skipped, cancelled, tests } = summary.counts;
  const note = `${pass} pass, ${skipped} skipped${fail + cancelled > 0 ? `, ${fail} failed, ${cancelled} cancelled` : ''}`;
  if (run.code === 0 && tests > 0) {
    return { result: { status: 'pass', note }, summary };
  }
  const why = run.code === null ? 'killed after the timeout' : `exit ${run.code}`;
  return {
    result: { status: 'fail', note: `${note} (${why})`, details: [...summary.failed, `log: ${options.log}`, tail(run.stderr, 10)].join('\n') },
    summary,
  };
}

function summarize(tap: string): TestRunSummary {
  const counts = { tests: 0, pass: 0, fail: 0, skipped: 0, cancelled: 0 };
  const skips = new Map<string, number>();
  const diagnostics: string[] = [];
  const failed: string[] = [];
  for (const line of tap.split('\n')) {
    const count = COUNT.exec(line);
    if (count) {
      counts[count[1] as keyof typeof counts] = Number(count[2]);
      continue;
    }
    const skip = SKIP.exec(line);
    if (skip) {
      const reason = (skip[1] as string).replaceAll('\\#', '#');
      skips.set(reason, (skips.get(reason) ?? 0) + 1);
      continue;
    }
    const notOk = NOT_OK.exec(line);
    if (notOk) {
      failed.push(`not ok: ${notOk[1]}`);
      continue;
    }
    const diagnostic = DIAGNOSTIC.exec(line);
    if (diagnostic && !SUMMARY_KEYS.test(diagnostic[1] as string) && !line.includes('Subtest:')) {
      diagnostics.push(diagnostic[1] as string);
    }
  }
  return { counts, skips, diagnostics, failed };
}
