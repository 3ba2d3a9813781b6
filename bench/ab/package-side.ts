/**
 * Which build of the package a run's child processes load when a stack
 * imports `picom` or `picom/nest`.
 *
 * The stacks resolve `picom` by self-reference: from the nearest package.json
 * above the importing file. The working tree's children run the compiled
 * bench where it was built, so `picom` is the working tree's dist/. The ref
 * side runs the same compiled bench through a symlink inside the ref's
 * worktree (`<ref>/build/bench`), with Node's `--preserve-symlinks` flags, so
 * that the nearest package.json, and with it `picom`, is the ref's. A loader
 * hook (`module.register`) would do the same, but its hooks thread stays in
 * the process: with the very same package on both sides it cost the Nest
 * path 12–45 % of its throughput and 20–60 MiB of RSS per process.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageSide {
  /** `<stack>@<tag>` names the run in an A/B comparison; absent in an ordinary run. */
  readonly tag?: string;
  /** The compiled bench the children run (server.js, client.js, stacks/). */
  readonly benchDir: string;
  /** Extra Node options of the children. */
  readonly execArgv: readonly string[];
}

/** build/bench of the working tree. */
const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

/** An ordinary run, and the stacks an A/B run measures once (raw nats.js, Nest's transport). */
export const WORKING_TREE: PackageSide = { benchDir: BENCH_DIR, execArgv: [] };

/** The working tree's side of an A/B run. */
export function workingTreeSide(tag: string): PackageSide {
  return { ...WORKING_TREE, tag };
}

/** Where the ref's worktree links the working tree's compiled bench. */
export function linkedBenchDir(root: string): string {
  return join(root, 'build', 'bench');
}

/** The ref's side of an A/B run: the working tree's bench, run from inside the ref's worktree at `root`. */
export function refSide(tag: string, root: string): PackageSide {
  return { tag, benchDir: linkedBenchDir(root), execArgv: ['--preserve-symlinks', '--preserve-symlinks-main'] };
}

/** The id of a run in measurements and tables. */
export function runId(stack: string, side: PackageSide): string {
  return side.tag === undefined ? stack : `${stack}@${side.tag}`;
}

/**
 * Where `specifiers` resolve in a child process of `side`, from its
 * `ab/resolve-probe.js`: the check that a ref side really loads the ref's build.
 */
export function resolveInChild(side: PackageSide, specifiers: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...side.execArgv, join(side.benchDir, 'ab', 'resolve-probe.js'), ...specifiers], (err, stdout, stderr) => {
      if (err) reject(new Error(`cannot resolve ${specifiers.join(', ')} in a child process: ${stderr.trim() || err.message}`));
      else resolve(JSON.parse(stdout) as string[]);
    });
  });
}
