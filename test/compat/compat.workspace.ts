import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../fixtures/cli.fixture.js';

/**
 * Side-by-side installs of the Nest majors picom/nest supports, each in its own
 * folder under `.compat/` (git-ignored) with the packed picom tarball installed
 * as a user would install it. The main `node_modules` keeps Nest 12 for the
 * everyday suite; these folders are what the compatibility run tests against.
 */

/** Where the workspaces live; every workspace is `<COMPAT_DIR>/<name>`. */
export const COMPAT_DIR = join(ROOT, '.compat');

export interface CompatWorkspace {
  /** Folder name under `.compat/`. */
  readonly name: string;
  /** Human label for reports: `Nest 11.2 (CommonJS), TypeScript 5.9`. */
  readonly label: string;
  /** The module system of the workspace's own package.json (`type`). */
  readonly type: 'commonjs' | 'module';
  /** npm specs, installed beside the picom tarball. */
  readonly dependencies: Readonly<Record<string, string>>;
  /**
   * Install with `--legacy-peer-deps`, as a user who ignores picom's peer
   * range would: only for a Nest picom does not support.
   */
  readonly legacyPeerDeps?: boolean;
  /**
   * The TypeScript packages the consumers compile with (`typescript`, or an
   * npm alias of another version among `dependencies`); default `typescript`.
   */
  readonly typescripts?: readonly string[];
}

const ROOT_PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
const dev = (name: string): string => ROOT_PACKAGE.devDependencies[name] as string;

const COMMON = { 'reflect-metadata': dev('reflect-metadata'), rxjs: dev('rxjs'), '@types/node': dev('@types/node') };

/**
 * Newest Nest 11 (CommonJS) with TypeScript 5, the oldest Nest 11 picom
 * supports, and Nest 12 (ESM) with the TypeScript the project builds with;
 * each with Express, for the HTTP apps of the exception filter's tests.
 * Nest 10 is there to see picom refuse it clearly.
 */
export const WORKSPACES = {
  nest11: {
    name: 'nest11',
    label: 'Nest 11 (CommonJS), TypeScript 5',
    type: 'commonjs',
    dependencies: {
      ...COMMON,
      '@nestjs/common': '^11.0.0',
      '@nestjs/core': '^11.0.0',
      '@nestjs/microservices': '^11.0.0',
      '@nestjs/platform-express': '^11.0.0',
      typescript: '~5.9.3',
    },
  },
  nest11min: {
    name: 'nest11-min',
    label: 'Nest 11.0.0 (CommonJS), TypeScript 5',
    type: 'commonjs',
    dependencies: {
      ...COMMON,
      '@nestjs/common': '11.0.0',
      '@nestjs/core': '11.0.0',
      '@nestjs/microservices': '11.0.0',
      '@nestjs/platform-express': '11.0.0',
      typescript: '~5.9.3',
    },
  },
  nest12: {
    name: 'nest12',
    label: 'Nest 12 (ESM), TypeScript 6 and 5',
    type: 'module',
    dependencies: {
      ...COMMON,
      '@nestjs/common': dev('@nestjs/common'),
      '@nestjs/core': dev('@nestjs/core'),
      '@nestjs/microservices': dev('@nestjs/microservices'),
      '@nestjs/platform-express': dev('@nestjs/platform-express'),
      typescript: dev('typescript'),
      // The oldest TypeScript major a Nest 12 app may build with, beside 6.
      typescript5: 'npm:typescript@~5.9.3',
    },
    typescripts: ['typescript', 'typescript5'],
  },
  nest10: {
    name: 'nest10',
    label: 'Nest 10 (CommonJS), unsupported',
    type: 'commonjs',
    dependencies: {
      'reflect-metadata': COMMON['reflect-metadata'],
      rxjs: COMMON.rxjs,
      '@nestjs/common': '^10.0.0',
      '@nestjs/core': '^10.0.0',
      '@nestjs/microservices': '^10.0.0',
    },
    legacyPeerDeps: true,
  },
} as const satisfies Record<string, CompatWorkspace>;

export type WorkspaceName = keyof typeof WORKSPACES;

/** The Nest versions picom supports: what consumer and suite checks iterate (not `Object.values(WORKSPACES)`). */
export const SUPPORTED_WORKSPACES: readonly CompatWorkspace[] = [WORKSPACES.nest11, WORKSPACES.nest11min, WORKSPACES.nest12];
/** Installed only to see picom refuse them clearly. */
export const UNSUPPORTED_WORKSPACES: readonly CompatWorkspace[] = [WORKSPACES.nest10];

/** The folder of a workspace. */
export function workspaceDir(workspace: CompatWorkspace): string {
  return join(COMPAT_DIR, workspace.name);
}

/** Packs the built package (`npm run build` first) into `.compat/`; returns the tarball's path. */
export function packPicom(): string {
  mkdirSync(COMPAT_DIR, { recursive: true });
  for (const file of readdirSync(COMPAT_DIR)) {
    if (file.endsWith('.tgz')) rmSync(join(COMPAT_DIR, file));
  }
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', COMPAT_DIR], { cwd: ROOT, encoding: 'utf8' });
  const name = out.trim().split('\n').pop() as string;
  return join(COMPAT_DIR, name);
}

/**
 * Installs a workspace: its dependencies from the registry (kept between runs
 * while the list is unchanged) and the tarball (always anew, as it changes
 * with every build while its version does not).
 */
export function installWorkspace(workspace: CompatWorkspace, tarball: string): string {
  const dir = workspaceDir(workspace);
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: `picom-compat-${workspace.name}`,
    private: true,
    type: workspace.type,
    dependencies: { ...workspace.dependencies, picom: `file:${tarball}` },
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const manifestPath = join(dir, 'package.json');
  if (!existsSync(manifestPath) || readFileSync(manifestPath, 'utf8') !== text) {
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    writeFileSync(manifestPath, text);
  }
  rmSync(join(dir, 'node_modules', 'picom'), { recursive: true, force: true });
  const flags = workspace.legacyPeerDeps === true ? ['--legacy-peer-deps'] : [];
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', ...flags], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return dir;
}
