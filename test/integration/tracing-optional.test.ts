import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { runNode } from '../fixtures/cli.fixture.js';

/**
 * `@opentelemetry/api` is an optional peer: without it (made unresolvable by
 * a loader hook) `picom` and `picom/nest` load, serve and call; installed, it
 * is loaded only once an SDK is registered, and never with `tracing: false`.
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
        `${PRETEND_REGISTERED}${SCENARIO(true, 'import')}
         // The hook works: the API itself is refused.
         let refused = false;
         try { await import('@opentelemetry/api'); } catch { refused = true; }
         if (!refused) throw new Error('the hook let @opentelemetry/api load');
         console.log('ESM-OK');`,
      ],
      { NATS_URL: nats.url },
    );
    assert.equal(esm.code, 0, esm.stderr);
    assert.match(esm.stdout, /ESM-OK/);
    assert.equal(esm.stderr.trim(), '', 'nothing said about the missing package');

    const cjs = await runNode(['-e', cjsGuard(true) + `(async () => { ${PRETEND_REGISTERED}${SCENARIO(true, 'require')}
      if (!Object.keys(require.cache).some((f) => f.includes('dist/cjs'))) throw new Error('not the CommonJS build');
      console.log('CJS-OK'); })().catch((e) => { console.error(e); process.exit(1); });`], { NATS_URL: nats.url });
    assert.equal(cjs.code, 0, cjs.stderr);
    assert.match(cjs.stdout, /CJS-OK/);
  });

  it('loads nothing of @opentelemetry/api until an SDK is registered, nor ever with tracing: false', { timeout: 60_000 }, async () => {
    const check = (tracing: boolean): string =>
      cjsGuard(false) +
      `(async () => { ${SCENARIO(tracing, 'require')}
         const loaded = Object.keys(require.cache).some((f) => f.includes('@opentelemetry'));
         console.log('LOADED=' + loaded);
       })().catch((e) => { console.error(e); process.exit(1); });`;
    const off = await runNode(['-e', check(false)], { NATS_URL: nats.url });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /LOADED=false/);
    // Installed, tracing on, but no SDK: the API stays unloaded (it costs even when nothing records).
    const on = await runNode(['-e', check(true)], { NATS_URL: nats.url });
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout, /LOADED=false/);
  });

  it('traces once an SDK is registered: before the endpoints connect, or later (within the recheck interval)', { timeout: 60_000 }, async () => {
    const traced = (when: 'before' | 'after', tracing: boolean): string => `(async () => {
      const api = require('@opentelemetry/api');
      const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
      const exporter = new InMemorySpanExporter();
      const register = () => api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
      const { Picom } = require('picom');
      const servers = [process.env.NATS_URL];
      ${when === 'before' ? 'register();' : ''}
      const svc = new Picom('svc', { servers, tracing: ${tracing} });
      await svc.expose({ ping: () => 'pong' });
      const caller = new Picom('caller', { servers, tracing: ${tracing} });
      await caller.request('svc.ping');
      ${when === 'after' ? 'register();' : ''}
      for (let i = 0; i < 300; i++) await caller.request('svc.ping');
      // Give the API's import (started by the recheck) time to finish, then one more call.
      await new Promise((r) => setTimeout(r, 100));
      await caller.request('svc.ping');
      await Promise.all([svc.close(), caller.close()]);
      const picomSpans = exporter.getFinishedSpans().filter((s) => (s.instrumentationScope ?? s.instrumentationLibrary).name === 'picom');
      console.log('SPANS=' + picomSpans.length);
    })().catch((e) => { console.error(e); process.exit(1); });`;
    const spans = async (when: 'before' | 'after', tracing: boolean): Promise<number> => {
      const run = await runNode(['-e', traced(when, tracing)], { NATS_URL: nats.url });
      assert.equal(run.code, 0, run.stderr);
      const match = /SPANS=(\d+)/.exec(run.stdout);
      assert.ok(match, run.stdout);
      return Number(match[1]);
    };
    // Registered first: every call, on both sides (302 requests, a CLIENT and a SERVER span each).
    assert.equal(await spans('before', true), 302 * 2);
    // Registered after the first call: picked up within TELEMETRY_RECHECK_CALLS calls.
    const late = await spans('after', true);
    assert.ok(late > 0 && late < 302 * 2, `late registration: ${late} spans`);
    // tracing: false, SDK or not: none.
    assert.equal(await spans('before', false), 0);
  });
});

/**
 * What a registered SDK leaves in the process (the API's registry of globals),
 * without the API: Picom then tries to load it, and must stay silent when it
 * cannot.
 */
const PRETEND_REGISTERED = "globalThis[Symbol.for('opentelemetry.js.api.1')] = { version: '1.9.0' };";

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

