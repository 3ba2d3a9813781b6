import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { runNode } from '../fixtures/cli.fixture.js';

/**
 * Both entry points (`picom`, `picom/nest`) load as users load them, with
 * `require` and with `import`, each in a child process of its own: exports
 * exist, `instanceof` works within the format, and a real round trip works.
 */


const CORE_EXPORTS = [
  'Picom',
  'PicomError',
  'PicomRemoteError',
  'PicomTimeoutError',
  'PicomNoRespondersError',
  'PicomBadResponseError',
  'PicomConnectionError',
  'PicomOptionsError',
  'PicomStatus',
  'PicomEvent',
  'WIRE_MESSAGES',
  'DEFAULT_TIMEOUT',
  'DEFAULT_VERSION',
  'PicomDiscovery',
];
const NEST_EXPORTS = [
  'PicomServer',
  'PicomClient',
  'PicomContext',
  'PicomRecord',
  'PicomRecordBuilder',
  'PicomModule',
  'PICOM_TRANSPORT',
  'PicomStatus',
  'PicomHealthIndicator',
  'PicomHealthReason',
];

/** The checks, the same in both formats; `core`, `nest`, `ms` (microservices), `rxjs` and `url` are in scope. */
const CHECKS = `
  for (const k of ${JSON.stringify(CORE_EXPORTS)}) assert.ok(core[k] !== undefined, 'picom lacks ' + k);
  for (const k of ${JSON.stringify(NEST_EXPORTS)}) assert.ok(nest[k] !== undefined, 'picom/nest lacks ' + k);
  assert.equal(nest.PicomStatus, core.PicomStatus, 'the two entries carry two copies of PicomStatus');
  assert.ok(new nest.PicomRecordBuilder({ a: 1 }).setTimeout(5).build() instanceof nest.PicomRecord);
  const timeout = new core.PicomTimeoutError('a.b', 1);
  assert.ok(timeout instanceof core.PicomError && timeout instanceof Error);
  assert.equal(timeout.message, 'Request a.b timed out');
  assert.throws(() => new core.Picom('a.b'), core.PicomOptionsError);
  // The Nest entry throws the core's error classes: one copy of them per format.
  assert.throws(() => new nest.PicomClient({ timeout: -1 }), core.PicomOptionsError);
  assert.throws(() => new nest.PicomServer({ service: '' }), core.PicomError);
  const client = new nest.PicomClient({ servers: url, timeout: 3000 });
  assert.ok(client instanceof ms.ClientProxy, 'PicomClient is not a ClientProxy of this format');
  assert.ok(new nest.PicomServer({ service: 'fmt', servers: url }) instanceof ms.Server, 'PicomServer is not a Server');
  const service = new core.Picom(format, { servers: url });
  await service.expose({ ping: (m) => ({ pong: m, format }) });
  assert.deepEqual(await rxjs.firstValueFrom(client.send(format + '.ping', { n: 1 })), { pong: { n: 1 }, format });
  assert.deepEqual(await service.request(format + '.ping', null), { pong: null, format });
  await assert.rejects(service.request('nobody.here', {}), core.PicomNoRespondersError);
  await assert.rejects(service.request(format + '.missing', {}), (e) => e instanceof core.PicomRemoteError && e instanceof Error);
  await client.close();
  await service.close();
  console.log('ENTRY-OK ' + format);
`;

const CJS = `
const assert = require('node:assert/strict');
const core = require('picom');
const nest = require('picom/nest');
const ms = require('@nestjs/microservices');
const rxjs = require('rxjs');
const url = process.env.NATS_URL;
const format = 'cjs';
assert.match(require.resolve('picom'), /dist[\\\\/]cjs[\\\\/]index\\.js$/);
assert.match(require.resolve('picom/nest'), /dist[\\\\/]cjs[\\\\/]nest[\\\\/]index\\.js$/);
(async () => {
${CHECKS}
})().catch((err) => { console.error(err); process.exit(1); });
`;

const ESM = `
import assert from 'node:assert/strict';
import * as core from 'picom';
import * as nest from 'picom/nest';
import * as ms from '@nestjs/microservices';
import * as rxjs from 'rxjs';
const url = process.env.NATS_URL;
const format = 'esm';
assert.match(import.meta.resolve('picom'), /dist\\/esm\\/index\\.js$/);
assert.match(import.meta.resolve('picom/nest'), /dist\\/esm\\/nest\\/index\\.js$/);
${CHECKS}
`;


describe('entry points load with require and with import', () => {
  let nats: NatsServerHandle;

  before(async () => {
    nats = await startNatsServer();
  });

  after(async () => {
    await nats?.stop();
  });

  it('require("picom") and require("picom/nest") (CommonJS)', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runNode(['-e', CJS], { NATS_URL: nats.url });
    assert.equal(code, 0, `the CommonJS child failed:\n${stderr}`);
    assert.match(stdout, /ENTRY-OK cjs/);
  });

  it('import "picom" and "picom/nest" (ES modules)', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runNode(['--input-type=module', '-e', ESM], { NATS_URL: nats.url });
    assert.equal(code, 0, `the ESM child failed:\n${stderr}`);
    assert.match(stdout, /ENTRY-OK esm/);
  });

  it('the core entry loads without Nest or rxjs (CommonJS and ESM)', { timeout: 60_000 }, async () => {
    // Block @nestjs/* and rxjs: the core must not touch them.
    const blockCjs = `
      const Module = require('node:module');
      const load = Module._load;
      Module._load = function (request, ...rest) {
        if (/^(@nestjs\\/|rxjs)/.test(request)) throw new Error('core loaded ' + request);
        return load.call(this, request, ...rest);
      };
      const core = require('picom');
      if (typeof core.Picom !== 'function') throw new Error('no Picom');
      console.log('CORE-OK');
    `;
    const cjs = await runNode(['-e', blockCjs], {});
    assert.equal(cjs.code, 0, cjs.stderr);
    assert.match(cjs.stdout, /CORE-OK/);
    const hooks = `export async function resolve(specifier, context, next) {
      if (/^(@nestjs\\/|rxjs)/.test(specifier)) throw new Error('core loaded ' + specifier);
      return next(specifier, context);
    }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hooks))});`;
    const esm = await runNode(
      [
        '--import',
        'data:text/javascript,' + encodeURIComponent(register),
        '--input-type=module',
        '-e',
        `import * as core from 'picom'; console.log(typeof core.Picom === 'function' ? 'CORE-OK' : 'no Picom');`,
      ],
      {},
    );
    assert.equal(esm.code, 0, esm.stderr);
    assert.match(esm.stdout, /CORE-OK/);
  });
});
