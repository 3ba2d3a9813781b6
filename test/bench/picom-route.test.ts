import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initialize, isPicomSpecifier, refParent, resolve } from '../../bench/ab/picom-route.hook.js';
import { refSide, resolveInChild, WORKING_TREE } from '../../bench/ab/package-side.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A stand-in for a ref's built package: its own package.json and exports, no NATS anywhere. */
function fakeRefPackage(): string {
  const root = mkdtempSync(join(tmpdir(), 'picom-route-test-'));
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
  return root;
}

describe('picom route hook', () => {
  it('routes the package and its subpaths, nothing that merely starts with its name', () => {
    assert.deepEqual(
      ['picom', 'picom/nest', 'picom-other', '@picom/x', './picom.js', 'rxjs'].map(isPicomSpecifier),
      [true, true, false, false, false, false],
    );
  });

  it('resolves a Picom import from the ref root and hands everything else on untouched', () => {
    initialize({ root: '/tmp/ref tree' });
    const seen: unknown[] = [];
    const next = (specifier: string, context?: unknown): unknown => {
      seen.push([specifier, context]);
      return { url: 'file:///resolved' };
    };
    const context = { parentURL: 'file:///work/build/bench/stacks/picom-plain.server.js', conditions: ['node', 'import'], importAttributes: {} };
    resolve('picom/nest', context, next);
    resolve('@nats-io/transport-node', context, next);
    assert.deepEqual(seen, [
      ['picom/nest', { ...context, parentURL: 'file:///tmp/ref%20tree/package.json' }],
      ['@nats-io/transport-node', context],
    ]);
    assert.equal(refParent('/tmp/ref tree'), 'file:///tmp/ref%20tree/package.json');
  });
});

describe('picom route in a child process', () => {
  let root: string;
  before(() => {
    root = fakeRefPackage();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('loads the ref build for picom and picom/nest on the ref side, through its own exports', async () => {
    const urls = await resolveInChild(refSide('ref', root), ROOT, ['picom', 'picom/nest', 'node:fs']);
    assert.deepEqual(urls, [
      pathToFileURL(join(root, 'dist', 'esm', 'index.js')).href,
      pathToFileURL(join(root, 'dist', 'esm', 'nest', 'index.js')).href,
      'node:fs',
    ]);
  });

  it("loads the working tree's own build on the working tree's side", async () => {
    const [url] = await resolveInChild(WORKING_TREE, ROOT, ['picom']);
    assert.equal(url, pathToFileURL(join(ROOT, 'dist', 'esm', 'index.js')).href);
  });
});
