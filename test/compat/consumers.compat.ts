import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { SUPPORTED_WORKSPACES } from './compat.workspace.js';
import { compatLine, compileConsumer, installedWorkspace, runConsumer, writeConsumer, type InstalledWorkspace } from './consumer.fixture.js';
import { atLeast, CONSUMER_SETTINGS, expectedFailure, type ConsumerSetting, type Diagnostic } from './consumer.settings.js';

/**
 * picom's typings resolve and type-check under every module setting a user
 * compiles with, against each Nest major's own typings and TypeScript: a tiny
 * consumer (`picom` and `picom/nest`, a `@MessagePattern` controller) per
 * workspace and setting, compiled with that workspace's `tsc` (Nest 12's with
 * TypeScript 6 and 5, the two majors a Nest 12 app may use). The CommonJS
 * and ESM builds of it then run against a real nats-server.
 *
 * Needs the workspaces of `compat.workspace.ts` installed (`npm run test:compat`).
 */

const COMPILE_TIMEOUT = 120_000;
const RUN_TIMEOUT = 60_000;
const ANSWERS = { viaClient: { result: 5 }, viaPicom: { result: 9 }, status: 'connected' };

let nats: NatsServerHandle | undefined;

before(async () => {
  nats = await startNatsServer();
});

after(async () => {
  await nats?.stop();
});

for (const [workspace, typescript] of SUPPORTED_WORKSPACES.flatMap((ws) => (ws.typescripts ?? ['typescript']).map((ts) => [ws, ts] as const))) {
  describe(`consumers on ${workspace.label}, with ${typescript}`, () => {
    let installed: InstalledWorkspace;

    before(() => {
      installed = installedWorkspace(workspace, typescript);
    });

    for (const setting of CONSUMER_SETTINGS) {
      describe(setting.label, () => {
        let consumerDir: string | undefined;

        it('compiles (or fails as documented)', { timeout: COMPILE_TIMEOUT }, async (t) => {
          const dir = writeConsumer(installed, setting);
          const { result, errors } = await compileConsumer(installed, dir);
          const failure = expectedFailure(installed.nestVersion, setting, installed.typescriptVersion);
          if (failure !== undefined) {
            assert.notEqual(result.code, 0, `expected ${failure.code} (${failure.reason}), but it compiled`);
            assert.deepEqual(unexpected(errors, (e) => failure.codes.includes(e.code)), [], `only ${failure.codes.join(', ')} expected`);
            assert.ok(errors.some((e) => e.file === 'main.ts' && e.code === failure.code), `${failure.code} should name the consumer's own imports`);
            t.diagnostic(`fails as expected with ${failure.code}: ${failure.reason}`);
            return;
          }
          const known = setting.knownErrors;
          const left = unexpected(errors, (e) => known?.matches(e) ?? false);
          assert.deepEqual(left, [], `tsc ${installed.typescriptVersion} reported:\n${result.stdout}${result.stderr}`);
          if (errors.length > 0) t.diagnostic(`${errors.length} known errors in others' typings: ${known?.reason}`);
          consumerDir = dir;
        });

        if (!setting.runs) return;
        it('runs: PicomServer answers PicomClient and Picom', { timeout: RUN_TIMEOUT }, async (t) => {
          if (consumerDir === undefined) return t.skip('did not compile');
          if (needsRequireEsm(installed, setting) && process.features.require_module !== true) {
            return t.skip(`require() of ES modules is off in Node ${process.version} (Nest 12 from CommonJS needs 20.19+ or 22.12+)`);
          }
          const run = await runConsumer(consumerDir, (nats as NatsServerHandle).url);
          assert.equal(run.code, 0, `the consumer failed:\n${run.stderr}`);
          assert.deepEqual(compatLine(run.stdout), ANSWERS);
        });
      });
    }
  });
}

/** The errors `allowed` does not account for, as `file code text` lines. */
function unexpected(errors: readonly Diagnostic[], allowed: (e: Diagnostic) => boolean): string[] {
  return errors.filter((e) => !allowed(e)).map((e) => `${e.file} ${e.code} ${e.text}`);
}

function needsRequireEsm(installed: InstalledWorkspace, setting: ConsumerSetting): boolean {
  return setting.type === 'commonjs' && atLeast(installed.nestVersion, '12.0');
}
