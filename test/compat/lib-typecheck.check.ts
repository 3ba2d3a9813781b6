import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ROOT } from '../fixtures/cli.fixture.js';
import { runProcess, tail, type CheckResult } from './compat.check.js';
import { workspaceDir, type CompatWorkspace } from './compat.workspace.js';

/**
 * lib/ type-checked against a workspace's Nest and rxjs typings with the
 * project's tsc: a tsconfig in the workspace extends the project's build
 * config and maps the packages lib/ imports to the workspace's copies.
 * lib/cli is left out, as from the CommonJS build: it is ESM-only tooling
 * that imports no Nest.
 */

/**
 * The typings of the packages lib/ imports, as explicit files: under NodeNext
 * a `paths` target that is a folder is silently ignored and tsc falls back to
 * the main node_modules.
 */
const TYPINGS: Readonly<Record<string, string>> = {
  '@nestjs/common': '@nestjs/common/index.d.ts',
  '@nestjs/core': '@nestjs/core/index.d.ts',
  '@nestjs/microservices': '@nestjs/microservices/index.d.ts',
  rxjs: 'rxjs/dist/types/index.d.ts',
};

/** Where a mapping that did not take would show: the main install's copies (tsc lists real paths). */
const MAIN_COPIES = Object.keys(TYPINGS).map((name) => join(realpathSync(join(ROOT, 'node_modules')), name) + sep);

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

export async function typecheckLib(workspace: CompatWorkspace): Promise<CheckResult> {
  const dir = workspaceDir(workspace);
  const modules = join(dir, 'node_modules');
  const paths: Record<string, string[]> = {};
  for (const [name, file] of Object.entries(TYPINGS)) {
    const target = join(modules, file);
    if (!existsSync(target)) {
      return { status: 'fail', note: `no ${relative(ROOT, target)}`, details: `${workspace.name} has no typings for ${name}: install the workspace first` };
    }
    paths[name] = [target];
  }
  const tsconfig = join(dir, 'tsconfig.lib.json');
  const base = workspace.type === 'commonjs' ? 'tsconfig.cjs.json' : 'tsconfig.build.json';
  const config = {
    extends: join(ROOT, base),
    compilerOptions: { noEmit: true, paths },
    include: [join(ROOT, 'lib')],
    exclude: [join(ROOT, 'lib', 'cli')],
  };
  writeFileSync(tsconfig, `${JSON.stringify(config, null, 2)}\n`);
  const run = await runProcess(process.execPath, [TSC, '-p', tsconfig, '--listFiles'], { cwd: dir, timeout: 120_000 });
  const files = run.stdout.split('\n').filter((line) => line.startsWith('/'));
  const errors = run.stdout.split('\n').filter((line) => / error TS\d+:/.test(line));
  if (run.code !== 0) {
    return { status: 'fail', note: `${errors.length} type errors (${base})`, details: tail([...errors, run.stderr].join('\n')) };
  }
  // A check that read the main install's Nest would pass whatever the workspace's says.
  const strays = files.filter((file) => MAIN_COPIES.some((main) => file.startsWith(main)));
  const used = files.filter((file) => file.startsWith(modules + sep)).length;
  if (strays.length > 0 || used === 0) {
    return { status: 'fail', note: 'typings not from the workspace', details: tail(`read from the main node_modules:\n${strays.join('\n')}`) };
  }
  return { status: 'pass', note: `0 errors (${base}), ${used} typings files from ${workspace.name}` };
}
