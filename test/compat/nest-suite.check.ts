import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../fixtures/cli.fixture.js';
import type { CheckResult } from './compat.check.js';
import { workspaceDir, type CompatWorkspace } from './compat.workspace.js';
import { runTests } from './node-test.runner.js';

/**
 * The Nest integration tests, compiled as for `npm test`, run against a
 * workspace: the resolve hooks (workspace.register) send Nest, rxjs,
 * reflect-metadata and picom to the workspace's copies, picom with the
 * `require` condition in a CommonJS workspace (dist/cjs, whose own
 * `require('@nestjs/microservices')` finds the workspace's Nest) and `import`
 * in an ESM one. What a Nest version lacks skips with the reason
 * (test/fixtures/nest-features.fixture.ts).
 */

/**
 * Server, client, module, lifecycle, processing hooks (hot-path), events
 * (nest-server, nest-to-nest, handler-timeout), the exception filter and the
 * options, plus the probe that shows what was loaded.
 *
 * Left out: the suites built around a child process an app would be.
 * entry-points, tracing-optional and health-indicator run `node -e` scripts
 * in the repository root whose `require()`s never pass the resolve hooks
 * (Node 20 runs them for `import` only), so they would load the main install's
 * picom and Nest again; health and tracing also need @nestjs/terminus and
 * OpenTelemetry, which the workspaces do not install. The reliability suites'
 * child services and broker restarts exercise the core, not what differs
 * between Nest versions, for minutes. In module.test, the tsc run on the main
 * typings skips itself (MAIN_INSTALL_ONLY): lib-typecheck.check and helper B's
 * consumers check the workspaces' typings. discovery's one Nest test would add
 * 13 s per workspace for what nest-server already covers.
 */
export const NEST_SUITE = [
  'build/test/compat/workspace.probe.js',
  'build/test/integration/nest-server.test.js',
  'build/test/integration/nest-client.test.js',
  'build/test/integration/module.test.js',
  'build/test/integration/lifecycle.test.js',
  'build/test/integration/nest-to-nest.test.js',
  'build/test/integration/exception-filter.test.js',
  'build/test/integration/options.test.js',
  'build/test/integration/hot-path.test.js',
  'build/test/reliability/handler-timeout.test.js',
] as const;

const REGISTER = pathToFileURL(join(ROOT, 'build', 'test', 'compat', 'workspace.register.js')).href;

/** What the suite printed about what it loaded (the probe's diagnostic). */
const LOADED = /^loaded: (.*)$/;

export async function runNestSuite(workspace: CompatWorkspace): Promise<CheckResult> {
  const dir = workspaceDir(workspace);
  const nodeOptions = [process.env['NODE_OPTIONS'], `--import=${REGISTER}`].filter(Boolean).join(' ');
  const { result, summary } = await runTests(NEST_SUITE, {
    env: {
      NODE_OPTIONS: nodeOptions,
      PICOM_COMPAT_DIR: dir,
      PICOM_COMPAT_CONDITION: workspace.type === 'commonjs' ? 'require' : 'import',
    },
    log: join(dir, 'nest-suite.log'),
    timeout: 240_000,
  });
  const loaded = summary.diagnostics.map((line) => LOADED.exec(line)?.[1]).find((line) => line !== undefined);
  const skips = [...summary.skips].map(([reason, count]) => `  ${count} skipped: ${reason}`);
  const note = [`${result.note}; ${loaded ?? 'the probe printed nothing'}`, ...skips].join('\n');
  // Without the probe's line nothing shows the suite ran on the workspace's Nest and picom.
  return loaded === undefined ? { status: 'fail', note, details: result.details ?? 'workspace.probe.js did not run' } : { ...result, note };
}
