import { join } from 'node:path';
import { formatTable } from '../../lib/cli/output/table.formatter.js';
import { ROOT } from '../fixtures/cli.fixture.js';
import { runProcess, tail, type CheckResult } from './compat.check.js';
import { COMPAT_DIR, SUPPORTED_WORKSPACES as SUPPORTED, UNSUPPORTED_WORKSPACES as UNSUPPORTED, installWorkspace, packPicom } from './compat.workspace.js';
import { typecheckLib } from './lib-typecheck.check.js';
import { runNestSuite } from './nest-suite.check.js';
import { runTests } from './node-test.runner.js';
import { checkOldNest } from './old-nest.check.js';

/**
 * `npm run test:compat` (after the builds): packs picom, installs the compat
 * workspaces side by side under .compat/, then checks each supported Nest
 * (lib/ type-checks against its typings, the Nest integration tests pass on
 * it), that Nest 10 gets picom's clear error, then the consumers under every
 * TypeScript module setting and the Nest 11 sample. Prints a check × workspace
 * table; exits 1 on any failure.
 */

interface Row {
  readonly check: string;
  readonly workspace: string;
  readonly result: CheckResult;
  readonly ms: number;
}

/** The column of checks that cover every workspace at once. */
const ALL = 'all';
const COLUMNS = [...SUPPORTED, ...UNSUPPORTED].map((ws) => ws.name).concat(ALL);

const rows: Row[] = [];

async function check(name: string, workspace: string, run: () => Promise<CheckResult>): Promise<CheckResult> {
  const started = performance.now();
  let result: CheckResult;
  try {
    result = await run();
  } catch (err) {
    result = { status: 'fail', note: 'the check itself failed', details: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  const ms = performance.now() - started;
  rows.push({ check: name, workspace, result, ms });
  console.log(`${result.status.padEnd(7)} ${name} [${workspace}] ${seconds(ms)}`);
  return result;
}

async function install(): Promise<CheckResult> {
  const tarball = packPicom();
  for (const workspace of [...SUPPORTED, ...UNSUPPORTED]) {
    installWorkspace(workspace, tarball);
  }
  return { status: 'pass', note: `${SUPPORTED.length + UNSUPPORTED.length} workspaces in ${COMPAT_DIR}` };
}

/** node:test files that need the installed workspaces (named `*.compat.ts`, so that `npm test` leaves them out). */
async function compatTests(file: string, before?: () => Promise<void>): Promise<CheckResult> {
  await before?.();
  const { result } = await runTests([file], { log: join(COMPAT_DIR, `${file.split('/').pop()}.log`), timeout: 300_000 });
  return result;
}

/** The Nest 12 samples the Nest 11 sample runs beside. */
async function buildSamples(): Promise<void> {
  const run = await runProcess('npm', ['run', '--silent', 'build:sample'], { cwd: ROOT, timeout: 120_000 });
  if (run.code !== 0) throw new Error(`npm run build:sample failed:\n${tail(run.stdout + run.stderr)}`);
}

async function main(): Promise<number> {
  const started = performance.now();
  const installed = await check('pack + install', ALL, install);
  if (installed.status === 'pass') {
    for (const workspace of SUPPORTED) await check('lib/ type-check', workspace.name, () => typecheckLib(workspace));
    for (const workspace of SUPPORTED) await check('Nest integration tests', workspace.name, () => runNestSuite(workspace));
    for (const workspace of UNSUPPORTED) await check('clear error on old Nest', workspace.name, () => checkOldNest(workspace));
    await check('consumers per module setting', ALL, () => compatTests('build/test/compat/consumers.compat.js'));
    await check('sample/nest11', ALL, () => compatTests('build/test/compat/sample-nest11.compat.js', buildSamples));
  }
  console.log(`\n${summary(performance.now() - started)}`);
  return rows.some((row) => row.result.status === 'fail') ? 1 : 0;
}

function summary(ms: number): string {
  const checks = [...new Set(rows.map((row) => row.check))];
  const cell = (name: string, workspace: string): string => {
    const row = rows.find((r) => r.check === name && r.workspace === workspace);
    return row ? `${row.result.status} ${seconds(row.ms)}` : '-';
  };
  const table = formatTable(['check', ...COLUMNS], checks.map((name) => [name, ...COLUMNS.map((ws) => cell(name, ws))]));
  const notes = rows.map((row) => `${row.check} [${row.workspace}]: ${row.result.note}`);
  const failures = rows.filter((row) => row.result.status === 'fail' && row.result.details).map((row) => `--- ${row.check} [${row.workspace}]\n${row.result.details}`);
  const count = (status: string): number => rows.filter((row) => row.result.status === status).length;
  const total = `${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped in ${seconds(ms)}`;
  return [table, notes.join('\n'), ...failures, '', total].join('\n');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

process.exitCode = await main();
