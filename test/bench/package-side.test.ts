import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { linkedBenchDir, refSide, resolveInChild, WORKING_TREE } from '../../bench/ab/package-side.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * A stand-in for a ref's worktree: its own package.json and exports, a dist/
 * of two files, and the compiled bench linked in as `RefWorktree` links it.
 */
function fakeRefTree(): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'picom-side-test-')));
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({
      name: 'picom',
      type: 'module',
      exports: { '.': { import: './dist/esm/index.js' }, './nest': { import: './dist/esm/nest/index.js' } },
    }),
  );
  mkdirSync(join(root, 'dist', 'esm', 'nest'), { recursive: true });
  writeFileSync(join(root, 'dist', 'esm', 'index.js'), 'export const side = "ref";\n');
  writeFileSync(join(root, 'dist', 'esm', 'nest', 'index.js'), 'export const side = "ref nest";\n');
  mkdirSync(dirname(linkedBenchDir(root)), { recursive: true });
  symlinkSync(realpathSync(WORKING_TREE.benchDir), linkedBenchDir(root), 'dir');
  return root;
}

describe('package sides in a child process', () => {
  let root: string;
  before(() => {
    root = fakeRefTree();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('loads the ref build for picom and picom/nest on the ref side, through its own exports', async () => {
    const urls = await resolveInChild(refSide('ref', root), ['picom', 'picom/nest', 'node:fs']);
    assert.deepEqual(urls, [
      pathToFileURL(join(root, 'dist', 'esm', 'index.js')).href,
      pathToFileURL(join(root, 'dist', 'esm', 'nest', 'index.js')).href,
      'node:fs',
    ]);
  });

  it("keeps the ref side's own bench modules under the link, where picom resolves to the ref", async () => {
    const [workload] = await resolveInChild(refSide('ref', root), ['../workload.js']);
    assert.equal(workload, pathToFileURL(join(linkedBenchDir(root), 'workload.js')).href);
  });

  it("loads the working tree's own build on the working tree's side", async () => {
    const [url] = await resolveInChild(WORKING_TREE, ['picom']);
    assert.equal(url, pathToFileURL(join(realpathSync(ROOT), 'dist', 'esm', 'index.js')).href);
  });
});
