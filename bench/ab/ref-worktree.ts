import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BenchUsageError } from '../command-line.js';
import { linkedBenchDir } from './package-side.js';

/** A git ref of `--against`, resolved to its commit. */
export interface ResolvedRef {
  /** As given on the command line. */
  readonly ref: string;
  readonly sha: string;
  /** `git rev-parse --short`: the tag of the ref's side in tables. */
  readonly short: string;
}

function git(repo: string, args: readonly string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Resolves `ref` in `repo` to a commit; a usage error when it names none. */
export function resolveRef(repo: string, ref: string): ResolvedRef {
  let sha: string;
  try {
    sha = git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new BenchUsageError(`--against: "${ref}" is not a commit of this repository (git rev-parse --verify "${ref}^{commit}" failed)`);
  }
  return { ref, sha, short: git(repo, ['rev-parse', '--short', sha]) };
}

/** HEAD of the working tree and whether it differs from it (then the A side is more than HEAD). */
export function describeWorkingTree(repo: string): { sha: string; short: string; dirty: boolean } {
  const sha = git(repo, ['rev-parse', 'HEAD']);
  const dirty = git(repo, ['status', '--porcelain', '--untracked-files=no']) !== '';
  return { sha, short: git(repo, ['rev-parse', '--short', sha]), dirty };
}

/**
 * A detached worktree of the ref in the system's temp directory, sharing the
 * working tree's node_modules through a symlink, with its package built
 * (`npm run build`: its dist/ only) and the working tree's compiled bench
 * linked in as its build/bench (see `package-side.ts`). `remove()` is
 * idempotent and synchronous, so that it can run from an `exit` handler.
 */
export class RefWorktree {
  private removed = false;
  private building: ChildProcess | undefined;

  private constructor(
    private readonly repo: string,
    private readonly parent: string,
    readonly root: string,
    readonly ref: ResolvedRef,
  ) {}

  /** `benchDir`: the working tree's compiled bench, linked into the tree. */
  static create(repo: string, ref: ResolvedRef, benchDir: string): RefWorktree {
    // Real path: what the children resolve is compared with paths under it.
    const parent = realpathSync(mkdtempSync(join(tmpdir(), `picom-bench-${ref.short}-`)));
    const root = join(parent, 'tree');
    const tree = new RefWorktree(repo, parent, root, ref);
    try {
      git(repo, ['worktree', 'add', '--detach', root, ref.sha]);
      symlinkSync(realpathSync(join(repo, 'node_modules')), join(root, 'node_modules'), 'dir');
      const bench = linkedBenchDir(root);
      mkdirSync(dirname(bench), { recursive: true });
      symlinkSync(realpathSync(benchDir), bench, 'dir');
    } catch (err) {
      tree.remove();
      throw err;
    }
    return tree;
  }

  /** Runs the ref's `npm run build`, its output on our stderr; rejects when it fails. */
  build(): Promise<void> {
    return new Promise((resolve, reject) => {
      // Its own process group, so that remove() can stop npm and the compilers it started.
      const child = spawn('npm', ['run', 'build'], { cwd: this.root, stdio: ['ignore', 2, 2], detached: true });
      this.building = child;
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        this.building = undefined;
        if (code === 0) resolve();
        else reject(new Error(`npm run build of ${this.ref.short} failed (${signal ?? `exit code ${code}`})`));
      });
    });
  }

  remove(): void {
    if (this.removed) return;
    this.removed = true;
    // A build still running would write into the tree while it goes.
    if (this.building?.pid !== undefined) {
      try {
        process.kill(-this.building.pid, 'SIGKILL');
      } catch {
        // already exited
      }
    }
    // The links first: nothing below may walk into the shared node_modules or the working tree's build.
    for (const link of [join(this.root, 'node_modules'), linkedBenchDir(this.root)]) {
      try {
        unlinkSync(link);
      } catch {
        // not linked yet
      }
    }
    this.tryGit(['worktree', 'remove', '--force', this.root]);
    // Whatever `remove` left (or a tree it never registered), then the records of trees gone.
    rmSync(this.parent, { recursive: true, force: true });
    this.tryGit(['worktree', 'prune']);
  }

  private tryGit(args: readonly string[]): void {
    try {
      git(this.repo, args);
    } catch {
      // Cleaning up: the next step covers what this one could not do.
    }
  }
}
