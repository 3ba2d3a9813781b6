import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Picom, PicomRemoteError } from 'picom';
import { PicomClient } from 'picom/nest';
import { firstValueFrom } from 'rxjs';
import { ManagedProcess, waitForLine } from '../../sample/demo/processes.js';
import { ROOT } from '../fixtures/cli.fixture.js';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';

/**
 * `sample/nest11` (Nest 11, CommonJS, its own node_modules) beside the Nest 12
 * `math` sample on one nats-server: a Nest 12 client calls the Nest 11
 * service, and the Nest 11 service calls the Nest 12 one. The sample is
 * installed and built here as its README says (`npm install`, `npm run build`).
 *
 * Needs picom built (`npm run build`) and the math sample built (`npm run build:test`
 * or `npm run build:sample`).
 */

const SAMPLE_DIR = join(ROOT, 'sample', 'nest11');
const SAMPLE_MAIN = join(SAMPLE_DIR, 'dist', 'main.js');
const MATH_MAIN = join(ROOT, 'build', 'sample', 'math', 'src', 'main.js');
const PICOM_CJS = join(ROOT, 'dist', 'cjs', 'nest', 'index.js');
const INSTALL_TIMEOUT = 180_000;
const READY_TIMEOUT = 20_000;

const exec = promisify(execFile);

/** Run in the sample's folder: where picom/nest loads from, and whose Server it extends. */
const WHICH_NEST = `
  const { Server } = require('@nestjs/microservices');
  const { PicomServer } = require('picom/nest');
  console.log(JSON.stringify({
    picom: require.resolve('picom/nest'),
    nest: require('@nestjs/microservices/package.json').version,
    extendsAppServer: Object.getPrototypeOf(PicomServer) === Server,
  }));
`;

/** npm in the sample's folder, so that its .npmrc applies. */
function npm(...args: string[]): Promise<unknown> {
  return exec('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: SAMPLE_DIR, timeout: INSTALL_TIMEOUT });
}

/** Installs the sample afresh: picom is copied at install time, so an older copy would stay. */
async function installSample(): Promise<void> {
  for (const [path, hint] of [
    [PICOM_CJS, 'npm run build'],
    [MATH_MAIN, 'npm run build:test` or `npm run build:sample'],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`${hint}\` first`);
  }
  rmSync(join(SAMPLE_DIR, 'node_modules', 'picom'), { recursive: true, force: true });
  rmSync(join(SAMPLE_DIR, 'dist'), { recursive: true, force: true });
  await npm('install');
  await npm('run', 'build');
}

function startSample(name: string, main: string, servers: string): Promise<ManagedProcess> {
  const env = { ...process.env, NODE_TEST_CONTEXT: undefined, PICOM_SERVERS: servers, INSTANCE_ID: name };
  return ManagedProcess.start(name, process.execPath, [main], env);
}

describe('sample/nest11 (Nest 11, CommonJS) beside the Nest 12 math sample', () => {
  let nats: NatsServerHandle;
  let math: ManagedProcess | undefined;
  let nest11: ManagedProcess | undefined;
  let picom: Picom;
  let client: PicomClient;

  before(async () => {
    // Should this process die before after() runs, the samples go with it.
    process.once('exit', () => [math, nest11].forEach((p) => p?.killNow()));
    await installSample();
    nats = await startNatsServer();
    math = await startSample('math-12', MATH_MAIN, nats.url);
    nest11 = await startSample('nest11-1', SAMPLE_MAIN, nats.url);
    await waitForLine([math], /service1 ready/, READY_TIMEOUT);
    await waitForLine([nest11], /service3 ready/, READY_TIMEOUT);
    picom = new Picom('compat-caller', { servers: nats.url, timeout: 5_000 });
    client = new PicomClient({ servers: nats.url, timeout: 5_000 });
  }, { timeout: INSTALL_TIMEOUT + READY_TIMEOUT });

  after(async () => {
    await client?.close();
    await picom?.close();
    await Promise.all([math?.stop(), nest11?.stop()]);
    await nats?.stop();
  });

  it("the sample's picom is a copy that extends the sample's Nest 11, not the repository's Nest 12", async () => {
    const { stdout } = await exec(process.execPath, ['-e', WHICH_NEST], { cwd: SAMPLE_DIR });
    const which = JSON.parse(stdout) as { picom: string; nest: string; extendsAppServer: boolean };
    assert.ok(which.picom.startsWith(join(SAMPLE_DIR, 'node_modules', 'picom')), `picom/nest loads from ${which.picom}`);
    assert.match(which.nest, /^11\./);
    assert.equal(which.extendsAppServer, true, "PicomServer extends another Nest's Server");
  });

  it('a Nest 12 PicomClient calls service3, served on Nest 11', async () => {
    const who = await firstValueFrom(client.send<{ instance: string; nest: string }>('service3.whoami', {}));
    assert.equal(who.instance, 'nest11-1');
    assert.match(who.nest, /^11\./, `service3 runs on Nest ${who.nest}`);
  });

  it('service3.sum on Nest 11 calls service1.add on Nest 12', async () => {
    assert.deepEqual(await picom.request('service3.sum', { values: [1, 2, 3, 4] }), { result: 10, calls: 4 });
  });

  it('service3.sum fails once service1 is gone: the sum was service1\'s', async () => {
    await (math as ManagedProcess).stop();
    await assert.rejects(picom.request('service3.sum', { values: [1, 2] }), PicomRemoteError);
    assert.ok(nest11?.running, `the Nest 11 sample died:\n${nest11?.tail().join('\n')}`);
  });
});
