import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { ROOT } from '../fixtures/cli.fixture.js';

/**
 * `@opentelemetry/api` is an optional peer: without it (made unresolvable by
 * a loader hook) `picom` and `picom/nest` load, serve and call; with
 * `tracing: false` nothing of it is loaded even when it is installed.
 */

/** Serves `svc.ping` and calls it, through `picom`, with `picom/nest` loaded: by `import()` (ESM build) or `require()` (CommonJS build). */
const SCENARIO = (tracing: boolean, load: 'import' | 'require'): string => `
  const picom = ${load === 'import' ? "await import('picom')" : "require('picom')"};
  const nest = ${load === 'import' ? "await import('picom/nest')" : "require('picom/nest')"};
  if (typeof nest.PicomServer !== 'function') throw new Error('no PicomServer');
  const servers = [process.env.NATS_URL];
  const svc = new picom.Picom('svc', { servers, tracing: ${tracing} });
  await svc.expose({ ping: () => 'pong' });
  const caller = new picom.Picom('caller', { servers, tracing: ${tracing} });
  const reply = await caller.request('svc.ping');
  if (reply !== 'pong') throw new Error('got ' + reply);
  await caller.publish('svc.ping');
  await Promise.all([svc.close(), caller.close()]);
`;

describe('tracing without @opentelemetry/api, and tracing: false', () => {
  let nats: NatsServerHandle;

  before(async () => {
    nats = await startNatsServer();
  });

  after(async () => {
    await nats?.stop();
  });

  it('loads and serves when @opentelemetry/api cannot be resolved (ESM and CommonJS)', { timeout: 60_000 }, async () => {
    const hooks = `export async function resolve(specifier, context, next) {
      if (/^@opentelemetry\\/api(\\/|$)/.test(specifier)) throw new Error('otel loaded: ' + specifier);
      return next(specifier, context);
    }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hooks))});`;
    const esm = await runNode(
      [
        '--import',
        'data:text/javascript,' + encodeURIComponent(register),
        '--input-type=module',
        '-e',
        `${SCENARIO(true, 'import')}
         // The hook works: the API itself is refused.
         let refused = false;
         try { await import('@opentelemetry/api'); } catch { refused = true; }
         if (!refused) throw new Error('the hook let @opentelemetry/api load');
         console.log('ESM-OK');`,
      ],
      nats.url,
    );
    assert.equal(esm.code, 0, esm.stderr);
    assert.match(esm.stdout, /ESM-OK/);
    assert.equal(esm.stderr.trim(), '', 'nothing said about the missing package');

    const cjs = await runNode(['-e', cjsGuard(true) + `(async () => { ${SCENARIO(true, 'require')}
      if (!Object.keys(require.cache).some((f) => f.includes('dist/cjs'))) throw new Error('not the CommonJS build');
      console.log('CJS-OK'); })().catch((e) => { console.error(e); process.exit(1); });`], nats.url);
    assert.equal(cjs.code, 0, cjs.stderr);
    assert.match(cjs.stdout, /CJS-OK/);
  });

  it('tracing: false loads nothing of @opentelemetry/api; tracing on loads it', { timeout: 60_000 }, async () => {
    const check = (tracing: boolean): string =>
      cjsGuard(false) +
      `(async () => { ${SCENARIO(tracing, 'require')}
         const loaded = Object.keys(require.cache).some((f) => f.includes('@opentelemetry'));
         console.log('LOADED=' + loaded);
       })().catch((e) => { console.error(e); process.exit(1); });`;
    const off = await runNode(['-e', check(false)], nats.url);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /LOADED=false/);
    const on = await runNode(['-e', check(true)], nats.url);
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout, /LOADED=true/);
  });
});

/** CommonJS: `require('picom')` resolves to the CJS build; with `refuse`, `@opentelemetry/api` throws as if absent. */
function cjsGuard(refuse: boolean): string {
  return `const Module = require('node:module');
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (${refuse} && /^@opentelemetry\\/api(\\/|$)/.test(request)) throw new Error('otel loaded: ' + request);
      return load.call(this, request, ...rest);
    };
  `;
}

function runNode(args: string[], natsUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, NATS_URL: natsUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
