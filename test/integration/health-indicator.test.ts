import 'reflect-metadata';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service } from '@nats-io/services';
import {
  Controller,
  Get,
  Module,
  Query,
  ServiceUnavailableException,
  type DynamicModule,
  type INestApplication,
  type INestApplicationContext,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import { PicomOptionsError } from 'picom';
import { PicomClient, PicomHealthIndicator, PicomHealthReason, PicomModule, type PicomModuleOptions } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, createNestContext } from '../fixtures/nest-app.fixture.js';
import { outcome, within } from '../fixtures/picom-test.helpers.js';
import { runNode } from '../fixtures/cli.fixture.js';

/**
 * `PicomHealthIndicator` as Nest users wire it: listed in `providers` of a
 * module that imports `TerminusModule` and `PicomModule.register(...)`, behind
 * a terminus `HealthCheckService`, against real nats-servers. The services it
 * pings are `@nats-io/services` micro services, which answer `$SRV.PING` as
 * the protocol says. Also: `picom/nest` loads nothing of `@nestjs/terminus`.
 */

const PASSWORD = 'health-secret-pw';
const AUTHORIZATION = `authorization { users: [ { user: hc, password: ${PASSWORD} } ] }`;
/** Timeout of the HTTP app's checks: long enough for a loaded CI machine, short enough to wait out. */
const CHECK_TIMEOUT = 1_500;

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly picom: PicomHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.picom.isHealthy('nats', { timeout: CHECK_TIMEOUT })]);
  }

  @Get('service')
  @HealthCheck()
  service(@Query('name') name: string, @Query('min') min?: string): Promise<HealthCheckResult> {
    const minInstances = min === undefined ? undefined : Number(min);
    return this.health.check([() => this.picom.isServiceAvailable(name, name, { timeout: CHECK_TIMEOUT, minInstances })]);
  }
}

@Module({})
class HealthAppModule {}

/** As users wire it: TerminusModule, PicomModule.register(...), and the indicator in `providers`. */
function healthModule(options: PicomModuleOptions, controllers: Type[] = []): DynamicModule {
  return {
    module: HealthAppModule,
    imports: [TerminusModule.forRoot({ logger: false }), PicomModule.register(options)],
    controllers,
    providers: [PicomHealthIndicator],
  };
}

interface HttpAnswer {
  status: number;
  body: HealthCheckResult;
  ms: number;
}

async function get(base: string, path: string): Promise<HttpAnswer> {
  const started = performance.now();
  const response = await fetch(`${base}${path}`);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as HealthCheckResult, ms: performance.now() - started };
}

/** What `HealthCheckService.check()` ended with: the result, or the body of its 503. */
async function checked(promise: Promise<HealthCheckResult>): Promise<{ up: boolean; result: HealthCheckResult }> {
  try {
    return { up: true, result: await promise };
  } catch (err) {
    assert.ok(err instanceof ServiceUnavailableException, `check() failed with ${String(err)}`);
    return { up: false, result: err.getResponse() as HealthCheckResult };
  }
}

function detailsOf(result: HealthCheckResult, key: string): Record<string, unknown> {
  const details = result.details[key] as Record<string, unknown> | undefined;
  assert.ok(details, `no details for ${key}: ${JSON.stringify(result)}`);
  return details;
}

async function addServices(nc: NatsConnection, name: string, count: number): Promise<Service[]> {
  // @nats-io/services carries its own copy of nats-core's types; the connection is the same thing.
  const svcm = new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]);
  const services = await Promise.all(Array.from({ length: count }, () => svcm.add({ name, version: '1.0.0' })));
  // A round trip: the services' subscriptions are at the server before anybody pings them
  // from another connection (otherwise a ping right away can meet no responders).
  await nc.flush();
  return services;
}

describe('PicomHealthIndicator with @nestjs/terminus', () => {
  describe('GET /health of a Nest HTTP app', () => {
    let nats: NatsServerHandle;
    let app: INestApplication | undefined;
    let base = '';
    let raw: NatsConnection | undefined;
    let services: Service[] = [];

    before(async () => {
      nats = await startNatsServer({ config: AUTHORIZATION });
      app = await NestFactory.create(
        healthModule({ servers: nats.url, user: 'hc', pass: PASSWORD }, [HealthController]),
        { logger: false, abortOnError: false },
      );
      await app.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${(app.getHttpServer() as { address(): AddressInfo }).address().port}`;
      raw = await connectRaw(nats);
    });

    after(async () => {
      await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
      await closeAll(app, raw);
      await nats?.stop();
    });

    it('connects the lazy client and answers 200 with the terminus body: rtt and server, no credentials', async () => {
      const client = app!.get(PicomClient);
      assert.throws(() => client.unwrap(), 'the client was connected before the first check');
      const answer = await get(base, '/health');
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.status, 'ok');
      const nats1 = answer.body.info?.['nats'] as Record<string, unknown>;
      assert.equal(nats1['status'], 'up');
      assert.equal(typeof nats1['rtt'], 'number');
      assert.equal(nats1['server'], nats.hostport);
      assert.deepEqual(answer.body.error, {});
      assert.doesNotMatch(JSON.stringify(answer.body), new RegExp(PASSWORD));
    });

    it('answers 503 with the reason while the nats-server is down, and 200 again once it is back', async () => {
      await nats.stop();
      const down = await waitUntil(
        async () => {
          const answer = await get(base, '/health');
          return answer.status === 503 ? answer : undefined;
        },
        { timeout: 10_000, message: 'GET /health never answered 503 with the nats-server stopped' },
      );
      assert.equal(down.body.status, 'error');
      const details = down.body.error?.['nats'] as Record<string, unknown>;
      assert.equal(details['status'], 'down');
      assert.ok(
        details['reason'] === PicomHealthReason.DISCONNECTED || details['reason'] === PicomHealthReason.RECONNECTING,
        `reason: ${String(details['reason'])}`,
      );
      assert.equal(typeof details['message'], 'string');
      // Known at once from the status: no waiting for the timeout.
      const again = await get(base, '/health');
      assert.equal(again.status, 503);
      assert.ok(again.ms < CHECK_TIMEOUT, `a down answer took ${again.ms.toFixed(0)} ms`);

      await nats.restart();
      const up = await waitUntil(
        async () => {
          const answer = await get(base, '/health');
          return answer.status === 200 ? answer : undefined;
        },
        { timeout: 15_000, message: 'GET /health never answered 200 again after restart()' },
      );
      assert.equal((up.body.info?.['nats'] as Record<string, unknown>)['status'], 'up');
      raw?.close().catch(() => undefined);
      raw = await connectRaw(nats);
    });

    it('isServiceAvailable: up with 2 instances answering, stopping as soon as minInstances answered', async () => {
      services = await addServices(raw!, 'calc', 2);
      const ids = services.map((s) => s.info().id).sort();

      const both = await get(base, '/health/service?name=calc&min=2');
      assert.equal(both.status, 200, JSON.stringify(both.body));
      const details = both.body.info?.['calc'] as Record<string, unknown>;
      assert.equal(details['status'], 'up');
      assert.equal(details['instances'], 2);
      assert.deepEqual([...(details['ids'] as string[])].sort(), ids);
      assert.deepEqual(details['versions'], ['1.0.0']);
      // Both answered: no waiting out the timeout.
      assert.ok(both.ms < CHECK_TIMEOUT, `took ${both.ms.toFixed(0)} ms`);

      const one = await get(base, '/health/service?name=calc');
      assert.equal(one.status, 200);
      assert.equal((one.body.info?.['calc'] as Record<string, unknown>)['instances'], 1, 'the default minInstances is 1');
      assert.ok(one.ms < CHECK_TIMEOUT, `took ${one.ms.toFixed(0)} ms`);
    });

    it('isServiceAvailable: down with "too few instances" when fewer answer than minInstances, within the timeout', async () => {
      const answer = await get(base, '/health/service?name=calc&min=3');
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      const details = answer.body.error?.['calc'] as Record<string, unknown>;
      assert.equal(details['status'], 'down');
      assert.equal(details['reason'], PicomHealthReason.TOO_FEW_INSTANCES);
      assert.equal(details['instances'], 2);
      assert.equal(details['minInstances'], 3);
      assert.match(String(details['message']), /2 instances of calc answered within 1500 ms; at least 3 expected/);
      // It waited for a third instance until the timeout, and not much longer.
      assert.ok(answer.ms >= CHECK_TIMEOUT - 100 && answer.ms < CHECK_TIMEOUT + 1_500, `took ${answer.ms.toFixed(0)} ms`);
    });

    it('isServiceAvailable: down with 0 instances when none runs', async () => {
      await Promise.all(services.map((s) => s.stop()));
      services = [];
      const answer = await get(base, '/health/service?name=calc');
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      const details = answer.body.error?.['calc'] as Record<string, unknown>;
      assert.equal(details['reason'], PicomHealthReason.TOO_FEW_INSTANCES);
      assert.equal(details['instances'], 0);
      assert.equal(details['minInstances'], 1);
      // No responders ends the request at once.
      assert.ok(answer.ms < CHECK_TIMEOUT, `took ${answer.ms.toFixed(0)} ms`);
    });
  });

  describe('HealthCheckService in an application context', () => {
    let nats: NatsServerHandle;
    let app: INestApplicationContext | undefined;

    before(async () => {
      nats = await startNatsServer();
    });

    afterEach(async () => {
      await closeAll(app);
      // A test that failed while its server was down must not fail the next ones too.
      if (!nats.running) {
        await nats.restart();
      }
    });

    after(async () => {
      await nats?.stop();
    });

    it('with retries: 0 and the server gone: down with "closed: reconnects exhausted"; up again once it is back', async () => {
      app = await createNestContext(healthModule({ servers: nats.url, retries: 0 }));
      const health = app.get(HealthCheckService);
      const indicator = app.get(PicomHealthIndicator);
      const check = (): Promise<HealthCheckResult> => health.check([() => indicator.isHealthy('nats', { timeout: 2_000 })]);
      assert.equal((await checked(check())).up, true);

      await nats.stop();
      const down = await waitUntil(
        async () => {
          const { up, result } = await checked(check());
          return !up && detailsOf(result, 'nats')['reason'] === PicomHealthReason.RECONNECTS_EXHAUSTED ? result : undefined;
        },
        { timeout: 10_000, message: 'never down with "closed: reconnects exhausted"' },
      );
      const details = detailsOf(down, 'nats');
      assert.equal(details['status'], 'down');
      assert.match(String(details['message']), /reconnect attempts exhausted; dialling again failed: Cannot connect to NATS/);

      await nats.restart();
      // It dials again, as a call would.
      const { up, result } = await checked(check());
      assert.equal(up, true, JSON.stringify(result));
      assert.equal(detailsOf(result, 'nats')['status'], 'up');
    });

    it('a first connect that fails: down with "connect failed"', async () => {
      const stopped = await startNatsServer();
      const url = stopped.url;
      await stopped.stop();
      app = await createNestContext(healthModule({ servers: url }));
      const result = await app.get(PicomHealthIndicator).isHealthy('nats', { timeout: 2_000 });
      assert.equal(result['nats'].status, 'down');
      assert.equal(result['nats']['reason'], PicomHealthReason.CONNECT_FAILED);
      assert.match(String(result['nats']['message']), /Cannot connect to NATS/);
    });

    it('after the client was closed (application shutdown): down with "closed", and it does not dial again', async () => {
      app = await createNestContext(healthModule({ servers: nats.url }));
      const indicator = app.get(PicomHealthIndicator);
      const client = app.get(PicomClient);
      assert.equal((await indicator.isHealthy('nats'))['nats'].status, 'up');
      await app.close();
      const result = await indicator.isHealthy('nats');
      assert.equal(result['nats'].status, 'down');
      assert.equal(result['nats']['reason'], PicomHealthReason.CLOSED);
      assert.throws(() => client.unwrap(), 'the health check opened a connection after shutdown');
      const service = await indicator.isServiceAvailable('calc', 'calc');
      assert.equal(service['calc']['reason'], PicomHealthReason.CLOSED);
    });

    it('a server that accepts but never speaks: down with "timeout" once the timeout passed, not later', async () => {
      const wedged = await silentServer();
      try {
        app = await createNestContext(healthModule({ servers: `127.0.0.1:${wedged.port}` }));
        const indicator = app.get(PicomHealthIndicator);
        const healthy = await outcome(within(indicator.isHealthy('nats', { timeout: 300 }), 5_000, 'isHealthy against a silent server'));
        assert.ok(healthy.ok, String(healthy.error));
        assert.equal(healthy.value?.['nats']['reason'], PicomHealthReason.TIMEOUT);
        assert.match(String(healthy.value?.['nats']['message']), /Not connected to NATS within 300 ms/);
        assert.ok(healthy.ms >= 250 && healthy.ms < 1_500, `took ${healthy.ms.toFixed(0)} ms`);

        const service = await outcome(within(indicator.isServiceAvailable('calc', 'calc', { timeout: 300 }), 5_000, 'isServiceAvailable against a silent server'));
        assert.ok(service.ok, String(service.error));
        assert.equal(service.value?.['calc']['reason'], PicomHealthReason.TIMEOUT);
        assert.ok(service.ms >= 250 && service.ms < 1_500, `took ${service.ms.toFixed(0)} ms`);
      } finally {
        await closeAll(app);
        app = undefined;
        wedged.close();
      }
    });

    it('a connected server that stops answering (SIGSTOP): down with "timeout" once the timeout passed, up after SIGCONT', async () => {
      app = await createNestContext(healthModule({ servers: nats.url }));
      const indicator = app.get(PicomHealthIndicator);
      assert.equal((await indicator.isHealthy('nats'))['nats'].status, 'up');
      const pid = nats.pid;
      process.kill(pid, 'SIGSTOP');
      try {
        await stopped(pid);
        const healthy = await outcome(within(indicator.isHealthy('nats', { timeout: 300 }), 5_000, 'isHealthy against a stopped server'));
        assert.ok(healthy.ok, String(healthy.error));
        assert.equal(healthy.value?.['nats']['reason'], PicomHealthReason.TIMEOUT, JSON.stringify(healthy.value));
        assert.match(String(healthy.value?.['nats']['message']), /No round trip to the NATS server within 300 ms/);
        assert.ok(healthy.ms >= 250 && healthy.ms < 1_500, `took ${healthy.ms.toFixed(0)} ms`);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      assert.equal((await indicator.isHealthy('nats', { timeout: 3_000 }))['nats'].status, 'up');
    });

    it('refuses invalid options with PicomOptionsError', async () => {
      app = await createNestContext(healthModule({ servers: nats.url }));
      const indicator = app.get(PicomHealthIndicator);
      await assert.rejects(indicator.isHealthy('nats', { timeout: 0 }), PicomOptionsError);
      await assert.rejects(indicator.isServiceAvailable('s', 's', { minInstances: 0 }), PicomOptionsError);
      await assert.rejects(indicator.isServiceAvailable('s', 's', { minInstances: 1.5 }), PicomOptionsError);
      await assert.rejects(indicator.isServiceAvailable('s', 'a.b'), PicomOptionsError);
    });
  });

  describe('picom/nest without @nestjs/terminus', () => {
    it('loads and provides PicomHealthIndicator when terminus cannot be resolved (ESM and CommonJS)', { timeout: 60_000 }, async () => {
      const hooks = `export async function resolve(specifier, context, next) {
        if (/^@nestjs\\/terminus(\\/|$)/.test(specifier)) throw new Error('terminus loaded: ' + specifier + ' from ' + context.parentURL);
        return next(specifier, context);
      }`;
      const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hooks))});`;
      const esm = await runNode([
        '--import',
        'data:text/javascript,' + encodeURIComponent(register),
        '--input-type=module',
        '-e',
        `import assert from 'node:assert/strict';
         const nest = await import('picom/nest');
         assert.equal(typeof nest.PicomHealthIndicator, 'function');
         // The hook works: terminus itself is refused.
         await assert.rejects(import('@nestjs/terminus'), /terminus loaded/);
         console.log('ESM-OK');`,
      ]);
      assert.equal(esm.code, 0, esm.stderr);
      assert.match(esm.stdout, /ESM-OK/);

      const cjs = await runNode([
        '-e',
        `const Module = require('node:module');
         const load = Module._load;
         Module._load = function (request, ...rest) {
           if (/^@nestjs\\/terminus(\\/|$)/.test(request)) throw new Error('terminus loaded: ' + request);
           return load.call(this, request, ...rest);
         };
         const nest = require('picom/nest');
         if (typeof nest.PicomHealthIndicator !== 'function') throw new Error('no PicomHealthIndicator');
         const loaded = Object.keys(require.cache);
         if (!loaded.some((f) => f.includes('@nestjs/microservices'))) throw new Error('require.cache does not show what loaded');
         if (loaded.some((f) => f.includes('@nestjs/terminus'))) throw new Error('terminus is in require.cache');
         console.log('CJS-OK');`,
      ]);
      assert.equal(cjs.code, 0, cjs.stderr);
      assert.match(cjs.stdout, /CJS-OK/);
    });
  });
});

/** A plain nats.js connection as user `hc`, for the micro services. */
function connectRaw(nats: NatsServerHandle): Promise<NatsConnection> {
  return connect({ servers: nats.url, user: 'hc', pass: PASSWORD, reconnect: false, name: 'micro-services' });
}

/**
 * Resolves once `pid` is stopped: kill() only queues SIGSTOP, and a server
 * still running on another core could answer one more ping. Linux shows the
 * state in /proc; elsewhere a short wait has to do.
 */
async function stopped(pid: number): Promise<void> {
  if (!existsSync(`/proc/${pid}/stat`)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return;
  }
  await waitUntil(() => /^\d+ \(.*\) T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')), {
    timeout: 5_000,
    interval: 5,
    message: `nats-server ${pid} did not stop on SIGSTOP`,
  });
}

/** A TCP server that accepts connections and never says a word: a wedged broker. */
async function silentServer(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

