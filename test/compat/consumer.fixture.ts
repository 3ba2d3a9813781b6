import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../fixtures/cli.fixture.js';
import { runProcess, type ProcessRun } from './compat.check.js';
import { workspaceDir, type CompatWorkspace } from './compat.workspace.js';
import { tsconfigFor, type ConsumerSetting, type Diagnostic } from './consumer.settings.js';
import { CONSUMER_CLOSED, CONSUMER_MAIN } from './consumer.sources.js';

/**
 * Writes, compiles and runs the consumer apps of `consumers.compat.ts` inside
 * the compat workspaces (`.compat/<name>/consumers/<setting>/`), with each
 * workspace's own TypeScript and Nest.
 */

/** What a workspace has installed, read from its node_modules. */
export interface InstalledWorkspace {
  readonly dir: string;
  readonly nestVersion: string;
  /** The TypeScript package the consumers compile with (`typescript` or an alias). */
  readonly typescript: string;
  readonly typescriptVersion: string;
}

/** The fields of picom's package.json that decide what resolves. */
const RESOLUTION_FIELDS = ['main', 'types', 'typesVersions', 'exports'] as const;
const DIAGNOSTIC = /^(.+?)\(\d+,\d+\): error (TS\d+): (.*)$/;
/** Below the tests' own timeouts (120 s, 60 s), so that a hang fails with the child's output. */
const COMPILE_TIMEOUT = 100_000;
const RUN_TIMEOUT = 45_000;
/** A consumer is an app of its own, not a test of this run. */
const CHILD_ENV = { NODE_TEST_CONTEXT: undefined };

/**
 * Reads what a workspace has installed; throws, saying how to install it,
 * when it is missing or holds a picom packed before package.json last changed.
 */
export function installedWorkspace(workspace: CompatWorkspace, typescript = 'typescript'): InstalledWorkspace {
  const dir = workspaceDir(workspace);
  const picom = join(dir, 'node_modules', 'picom', 'package.json');
  if (!existsSync(picom)) {
    throw new Error(`compat workspace ${workspace.name} is not installed at ${dir}: run \`npm run test:compat\`, which installs every workspace first`);
  }
  const installed = readJson(picom);
  const current = readJson(join(ROOT, 'package.json'));
  for (const field of RESOLUTION_FIELDS) {
    if (JSON.stringify(installed[field]) !== JSON.stringify(current[field])) {
      throw new Error(`compat workspace ${workspace.name} holds a picom whose "${field}" differs from package.json: repack and reinstall (\`npm run test:compat\`)`);
    }
  }
  return {
    dir,
    nestVersion: readJson(join(dir, 'node_modules', '@nestjs', 'core', 'package.json'))['version'] as string,
    typescript,
    typescriptVersion: readJson(join(dir, 'node_modules', typescript, 'package.json'))['version'] as string,
  };
}

/** Writes a consumer afresh (its earlier output removed); returns its folder. */
export function writeConsumer(installed: InstalledWorkspace, setting: ConsumerSetting): string {
  const dir = join(installed.dir, 'consumers', `${installed.typescript}-${setting.name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tsconfig = tsconfigFor(setting, installed.typescriptVersion);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ private: true, type: setting.type }, null, 2)}\n`);
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  writeFileSync(join(dir, 'main.ts'), CONSUMER_MAIN);
  writeFileSync(join(dir, 'closed.ts'), CONSUMER_CLOSED);
  return dir;
}

/** Compiles a consumer with its workspace's own `tsc`; resolves with the errors it reported. */
export async function compileConsumer(installed: InstalledWorkspace, consumerDir: string): Promise<{ result: ProcessRun; errors: Diagnostic[] }> {
  const tsc = join(installed.dir, 'node_modules', installed.typescript, 'bin', 'tsc');
  const result = await runProcess(process.execPath, [tsc, '-p', consumerDir, '--pretty', 'false'], { cwd: consumerDir, timeout: COMPILE_TIMEOUT, env: CHILD_ENV });
  return { result, errors: parseDiagnostics(result.stdout) };
}

/** Runs a compiled consumer (`out/main.js`) against `servers`. */
export function runConsumer(consumerDir: string, servers: string): Promise<ProcessRun> {
  return runProcess(process.execPath, [join(consumerDir, 'out', 'main.js')], { cwd: consumerDir, timeout: RUN_TIMEOUT, env: { ...CHILD_ENV, PICOM_SERVERS: servers } });
}

/** The `COMPAT {json}` line a consumer prints, parsed. */
export function compatLine(stdout: string): unknown {
  const line = stdout.split('\n').find((l) => l.startsWith('COMPAT '));
  return line === undefined ? undefined : JSON.parse(line.slice('COMPAT '.length));
}

function parseDiagnostics(output: string): Diagnostic[] {
  const errors: Diagnostic[] = [];
  for (const line of output.split('\n')) {
    const match = DIAGNOSTIC.exec(line);
    if (match) errors.push({ file: match[1] as string, code: match[2] as string, text: match[3] as string });
  }
  return errors;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}
