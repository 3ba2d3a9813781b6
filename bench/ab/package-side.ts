/**
 * Which build of the package a run's child processes load when a stack
 * imports `picom` or `picom/nest`: the working tree's own (self-reference to
 * its dist/) or, on the ref side of an A/B run, the ref's.
 */
import { execFile } from 'node:child_process';

/** The environment variable that carries the ref's worktree root to a child process. */
export const REF_ROOT_ENV = 'PICOM_BENCH_REF_ROOT';

export interface PackageSide {
  /** `<stack>@<tag>` names the run in an A/B comparison; absent in an ordinary run. */
  readonly tag?: string;
  /** Extra Node options of the children. */
  readonly execArgv: readonly string[];
  /** Extra environment of the children. */
  readonly env: Readonly<Record<string, string>>;
}

/** An ordinary run, and the stacks an A/B run measures once (raw nats.js, Nest's transport). */
export const WORKING_TREE: PackageSide = { execArgv: [], env: {} };

/** The working tree's side of an A/B run. */
export function workingTreeSide(tag: string): PackageSide {
  return { tag, execArgv: [], env: {} };
}

/** The ref's side of an A/B run: the resolve hook routes `picom` to the build at `root`. */
export function refSide(tag: string, root: string): PackageSide {
  const register = new URL('./picom-route.register.js', import.meta.url).href;
  return { tag, execArgv: ['--import', register], env: { [REF_ROOT_ENV]: root } };
}

/** The id of a run in measurements and tables. */
export function runId(stack: string, side: PackageSide): string {
  return side.tag === undefined ? stack : `${stack}@${side.tag}`;
}

/**
 * Where `specifiers` resolve in a child process of `side` started in `cwd`:
 * the check that a ref side really loads the ref's build.
 */
export function resolveInChild(side: PackageSide, cwd: string, specifiers: readonly string[]): Promise<string[]> {
  const script = `process.stdout.write(JSON.stringify(${JSON.stringify(specifiers)}.map((s) => import.meta.resolve(s))))`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...side.execArgv, '--input-type=module', '--eval', script],
      { cwd, env: { ...process.env, ...side.env } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`cannot resolve ${specifiers.join(', ')} in a child process: ${stderr.trim() || err.message}`));
        else resolve(JSON.parse(stdout) as string[]);
      },
    );
  });
}
