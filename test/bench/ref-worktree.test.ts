import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BenchUsageError } from '../../bench/command-line.js';
import { linkedBenchDir, WORKING_TREE } from '../../bench/ab/package-side.js';
import { RefWorktree, resolveRef } from '../../bench/ab/ref-worktree.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function inGitCheckout(): boolean {
  try {
    execFileSync('git', ['rev-parse', '--verify', 'HEAD'], { cwd: ROOT, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function worktrees(): string[] {
  return execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
}

const skip = inGitCheckout() ? false : 'not a git checkout';

describe('--against ref', { skip }, () => {
  it('resolves a ref to its commit and short name', () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const resolved = resolveRef(ROOT, 'HEAD');
    assert.equal(resolved.sha, head);
    assert.ok(head.startsWith(resolved.short) && resolved.short.length >= 7, resolved.short);
    assert.equal(resolved.ref, 'HEAD');
  });

  it('calls a ref that names no commit a usage error, naming it', () => {
    assert.throws(
      () => resolveRef(ROOT, 'no-such-ref-anywhere'),
      (err: unknown) => err instanceof BenchUsageError && err.message.includes('"no-such-ref-anywhere" is not a commit'),
    );
  });

  it('npm run bench -- --against <bad ref>: one line on stderr, exit code 2, before any nats-server', async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(ROOT, 'build', 'bench', 'run-bench.js'), '--against', 'no-such-ref-anywhere'], { cwd: ROOT }, (err, _stdout, stderr) =>
        resolve({ code: err ? (err.code as number | null) : 0, stderr }),
      );
    });
    assert.equal(code, 2);
    assert.deepEqual(stderr.trimEnd().split('\n'), [
      'bench: --against: "no-such-ref-anywhere" is not a commit of this repository (git rev-parse --verify "no-such-ref-anywhere^{commit}" failed)',
    ]);
  });

  it("checks the ref out beside the repository with node_modules and the compiled bench linked, and removes it all again", () => {
    const modules = realpathSync(join(ROOT, 'node_modules'));
    const tree = RefWorktree.create(ROOT, resolveRef(ROOT, 'HEAD'), WORKING_TREE.benchDir);
    try {
      assert.ok(worktrees().includes(tree.root), `${tree.root} not in git worktree list`);
      assert.ok(existsSync(join(tree.root, 'package.json')));
      assert.ok(lstatSync(join(tree.root, 'node_modules')).isSymbolicLink());
      assert.equal(readlinkSync(join(tree.root, 'node_modules')), modules);
      assert.equal(readlinkSync(linkedBenchDir(tree.root)), realpathSync(WORKING_TREE.benchDir));
    } finally {
      tree.remove();
    }
    assert.ok(!existsSync(dirname(tree.root)), 'temporary directory left behind');
    assert.ok(!worktrees().includes(tree.root), 'worktree still registered');
    // What the tree linked outlives it.
    assert.ok(existsSync(join(modules, 'typescript', 'package.json')));
    assert.ok(existsSync(join(WORKING_TREE.benchDir, 'run-bench.js')));
    tree.remove();
  });
});
