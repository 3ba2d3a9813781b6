import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Controller, Inject, Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { type ClientProxy, ClientsModule, MessagePattern, Payload } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import { Picom } from 'picom';
import { PicomClient, PicomModule, type PicomClientOptions, type PicomOptionsFactory } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, createNestContext, createNestService } from '../fixtures/nest-app.fixture.js';
import { MAIN_INSTALL_ONLY } from '../fixtures/nest-features.fixture.js';
import { sleep } from '../fixtures/raw-nats.fixture.js';

/** Repository root (build/test/integration/ → ../../..), where `picom` resolves to dist/. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Set in `before`: where the test's nats-server listens. */
let natsUrl = '';

const CONFIG = 'TEST_CONFIG';
interface TestConfig {
  url: string;
  timeout: number;
}

@Module({
  providers: [{ provide: CONFIG, useFactory: (): TestConfig => ({ url: natsUrl, timeout: 300 }) }],
  exports: [CONFIG],
})
class ConfigModule {}

@Injectable()
class ByTokenCaller {
  constructor(@Inject('SERVICE1') readonly client: ClientProxy) {}

  add(a: number, b: number): Promise<unknown> {
    return firstValueFrom(this.client.send('service1.add', { a, b }));
  }
}

@Injectable()
class ByClassCaller {
  constructor(readonly client: PicomClient) {}

  add(a: number, b: number): Promise<unknown> {
    return firstValueFrom(this.client.send('service1.add', { a, b }));
  }

  slow(): Promise<unknown> {
    return firstValueFrom(this.client.send('service1.slow', {}));
  }
}

@Injectable()
class NamedCaller {
  constructor(
    @Inject('MATH') readonly named: PicomClient,
    readonly byClass: PicomClient,
  ) {}
}

@Injectable()
class PicomOptionsService implements PicomOptionsFactory {
  createPicomOptions(): PicomClientOptions {
    return { servers: natsUrl, timeout: 2_000 };
  }
}

/** Connection names the nats-server currently sees. */
async function connectionNames(nats: NatsServerHandle): Promise<string[]> {
  const connz = await nats.monitor<{ connections?: { name?: string }[] }>('connz');
  return (connz.connections ?? []).map((c) => c.name ?? '');
}

/** Closes the app and checks that the client's NATS connection went with it. */
async function assertClosedOnShutdown(app: { close(): Promise<void> }, client: PicomClient): Promise<void> {
  const nc = client.unwrap<NatsConnection>();
  assert.equal(nc.isClosed(), false);
  await app.close();
  assert.equal(nc.isClosed(), true, 'the client connection is still open after app.close()');
  assert.throws(() => client.unwrap(), 'unwrap() still returns a connection after shutdown');
}

describe('injection: ClientsModule and PicomModule', () => {
  let nats: NatsServerHandle;
  let service1: Picom;

  before(async () => {
    nats = await startNatsServer();
    natsUrl = nats.url;
    service1 = new Picom('service1', { servers: [nats.url], gracePeriod: 100 });
    await service1.expose({
      add: (msg: { a: number; b: number }) => ({ result: msg.a + msg.b }),
      slow: async () => {
        await sleep(1_000);
        return 'slow';
      },
    });
  });

  after(async () => {
    await service1?.close();
    await nats?.stop();
  });

  describe('ClientsModule.register([{ name, customClass: PicomClient, options }])', () => {
    const registered = () =>
      createNestContext({
        imports: [ClientsModule.register([{ name: 'SERVICE1', customClass: PicomClient, options: { servers: [nats.url] } }])],
        providers: [ByTokenCaller],
      });

    it('makes the client injectable by token into a provider that calls a service', async (t) => {
      const app = await registered();
      t.after(() => closeAll(app));
      const caller = app.get(ByTokenCaller);
      assert.ok(caller.client instanceof PicomClient);
      assert.deepEqual(await caller.add(2, 5), { result: 7 });
    });

    it('closes the client on app shutdown', async (t) => {
      const app = await registered();
      t.after(() => closeAll(app));
      const client = app.get(ByTokenCaller).client as PicomClient;
      assert.deepEqual(await app.get(ByTokenCaller).add(1, 1), { result: 2 });
      await assertClosedOnShutdown(app, client);
    });

    it('works with registerAsync and a factory as well', async (t) => {
      const ctx = await createNestContext({
        imports: [
          ClientsModule.registerAsync([
            {
              name: 'SERVICE1',
              imports: [ConfigModule],
              inject: [CONFIG],
              useFactory: (config: TestConfig) => ({ customClass: PicomClient, options: { servers: config.url } }),
            },
          ]),
        ],
        providers: [ByTokenCaller],
      });
      t.after(() => closeAll(ctx));
      assert.deepEqual(await ctx.get(ByTokenCaller).add(20, 22), { result: 42 });
      await assertClosedOnShutdown(ctx, ctx.get(ByTokenCaller).client as PicomClient);
    });

    it('typechecks without a cast: customClass: PicomClient (strict TypeScript)', { timeout: 120_000, skip: MAIN_INSTALL_ONLY }, async (t) => {
      const dir = join(ROOT, 'build', `typecheck-${process.pid}`);
      mkdirSync(dir, { recursive: true });
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(
        join(dir, 'customclass.ts'),
        [
          "import { Module } from '@nestjs/common';",
          "import { ClientsModule } from '@nestjs/microservices';",
          "import { PicomClient } from 'picom/nest';",
          '@Module({',
          "  imports: [ClientsModule.register([{ name: 'SERVICE1', customClass: PicomClient, options: { servers: ['127.0.0.1:4222'] } }])],",
          '})',
          'export class AppModule {}',
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true, rootDir: '.' }, files: ['customclass.ts'], include: [] }),
      );
      const { code, output } = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], ROOT);
      assert.equal(code, 0, `tsc rejects the documented ClientsModule usage:\n${output}`);
    });
  });

  describe('PicomModule', () => {
    it('register() makes PicomClient injectable by class, connected on first use', async (t) => {
      const ctx = await createNestContext({ imports: [PicomModule.register({ servers: [nats.url] })], providers: [ByClassCaller] });
      t.after(() => closeAll(ctx));
      const caller = ctx.get(ByClassCaller);
      assert.ok(caller.client instanceof PicomClient);
      assert.throws(() => caller.client.unwrap(), 'connected before first use');
      assert.deepEqual(await caller.add(1, 2), { result: 3 });
      await assertClosedOnShutdown(ctx, caller.client);
    });

    it('register({ clientName }) makes the same client injectable by token', async (t) => {
      const ctx = await createNestContext({
        imports: [PicomModule.register({ servers: [nats.url], clientName: 'MATH' })],
        providers: [NamedCaller],
      });
      t.after(() => closeAll(ctx));
      const { named, byClass } = ctx.get(NamedCaller);
      assert.ok(named instanceof PicomClient);
      assert.equal(named, byClass);
      assert.deepEqual(await firstValueFrom(named.send('service1.add', { a: 4, b: 4 })), { result: 8 });
      await assertClosedOnShutdown(ctx, named);
    });

    it('registerAsync({ useFactory, inject }) builds the client from injected config', async (t) => {
      const ctx = await createNestContext({
        imports: [
          PicomModule.registerAsync({
            imports: [ConfigModule],
            inject: [CONFIG],
            useFactory: (config: TestConfig) => ({ servers: config.url, timeout: config.timeout }),
          }),
        ],
        providers: [ByClassCaller],
      });
      t.after(() => closeAll(ctx));
      const caller = ctx.get(ByClassCaller);
      assert.deepEqual(await caller.add(5, 5), { result: 10 });
      // The factory's timeout (300 ms) is the client's default.
      const started = performance.now();
      await assert.rejects(caller.slow(), { message: 'Request service1.slow timed out' });
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 900, `timed out after ${elapsed.toFixed(0)} ms; the factory said 300`);
      await assertClosedOnShutdown(ctx, caller.client);
    });

    it('registerAsync({ useClass }) works too', async (t) => {
      const ctx = await createNestContext({
        imports: [PicomModule.registerAsync({ useClass: PicomOptionsService })],
        providers: [ByClassCaller],
      });
      t.after(() => closeAll(ctx));
      assert.deepEqual(await ctx.get(ByClassCaller).add(6, 7), { result: 13 });
      await assertClosedOnShutdown(ctx, ctx.get(ByClassCaller).client);
    });

    it('register({ isGlobal: true }) is injectable in modules that do not import it', async (t) => {
      @Module({ providers: [ByClassCaller], exports: [ByClassCaller] })
      class FeatureModule {}
      const ctx = await createNestContext({ imports: [PicomModule.register({ servers: [nats.url], isGlobal: true }), FeatureModule] });
      t.after(() => closeAll(ctx));
      assert.deepEqual(await ctx.get(ByClassCaller).add(1, 1), { result: 2 });
    });

    it('in a Nest microservice, the injected client serves handlers and closes with app.close()', async (t) => {
      @Controller()
      class ProxyController {
        constructor(readonly client: PicomClient) {}

        @MessagePattern('sum')
        sum(@Payload() data: { a: number; b: number }) {
          return this.client.send('service1.add', data);
        }
      }
      const svc = await createNestService(
        { imports: [PicomModule.register({ servers: [nats.url] })], controllers: [ProxyController] },
        { service: 'proxy', servers: [nats.url] },
      );
      t.after(() => svc.close());
      const caller = new Picom('modcaller', { servers: [nats.url], timeout: 3_000 });
      t.after(() => caller.close());
      assert.deepEqual(await caller.request('proxy.sum', { a: 3, b: 4 }), { result: 7 });
      const client = svc.app.get(PicomClient);
      await assertClosedOnShutdown(svc, client);
      // Both of the app's connections (server and client) are gone from the broker.
      let names: string[] = [];
      await waitUntil(
        async () => {
          names = await connectionNames(nats);
          return !names.some((n) => n === 'picom:proxy' || n === 'picom:client');
        },
        { message: () => `still connected: ${names.join(', ')}` },
      );
    });
  });
});

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}
