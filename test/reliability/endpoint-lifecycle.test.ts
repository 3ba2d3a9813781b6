import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer, type Server, type Socket } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import {
  Picom,
  PicomConnectionError,
  PicomConnectionErrorCode,
  PicomNoRespondersError,
  PicomPermissionError,
  PicomStatus,
  PicomTimeoutError,
  type PicomEventsMap,
} from 'picom';
import { PicomClient, PicomRecordBuilder, PicomServer } from 'picom/nest';
import { freePort, startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { CapturingLogger, outcome, sleep, spawnChildService, startTestService, within } from '../fixtures/picom-test.helpers.js';

/** The package root: a child process there imports `picom` as an app would. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The three faces of one lifecycle, as a test drives them. */
interface Face {
  readonly name: string;
  on<E extends keyof PicomEventsMap>(event: E, listener: PicomEventsMap[E]): void;
  /** A call to `echo.ping`, served by the test's own service. */
  call(timeout?: number): Promise<unknown>;
  status(): PicomStatus;
  close(): Promise<void>;
}

async function plainFace(servers: string, logger: CapturingLogger): Promise<Face> {
  const picom = new Picom('lifecycle-caller', { servers, logger, timeout: 2_000 });
  await picom.connect();
  return {
    name: 'Picom',
    on: (event, listener) => void picom.on(event, listener),
    call: (timeout) => picom.request('echo.ping', 'x', timeout ? { timeout } : undefined),
    status: () => picom.status,
    close: () => picom.close(),
  };
}

async function clientFace(servers: string, logger: CapturingLogger): Promise<Face> {
  const client = new PicomClient({ servers, logger, timeout: 2_000 });
  let status: PicomStatus = PicomStatus.DISCONNECTED;
  client.status.subscribe((s) => (status = s));
  await client.connect();
  return {
    name: 'PicomClient',
    on: (event, listener) => client.on(event, listener),
    call: (timeout) => firstValueFrom(client.send('echo.ping', timeout ? new PicomRecordBuilder('x').setTimeout(timeout).build() : 'x')),
    status: () => status,
    close: () => client.close(),
  };
}

async function serverFace(servers: string, logger: CapturingLogger, caller: Picom): Promise<Face> {
  const svc = await startTestService({ service: 'lifecycle-svc', servers, logger });
  let status: PicomStatus = PicomStatus.DISCONNECTED;
  svc.server.status.subscribe((s) => (status = s));
  return {
    name: 'PicomServer',
    on: (event, listener) => svc.server.on(event, listener),
    // A call it serves: the server is alive when this is answered.
    call: (timeout) => caller.request('lifecycle-svc.echo', 'x', { timeout: timeout ?? 2_000 }),
    status: () => status,
    close: () => svc.close(),
  };
}

describe('listeners are guests: one that throws changes nothing else', () => {
  let nats: NatsServerHandle;
  let echo: Picom;
  let caller: Picom;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    nats = await startNatsServer();
    echo = new Picom('echo', { servers: nats.url });
    await echo.expose({ ping: (x) => x });
    caller = new Picom('lifecycle-server-caller', { servers: nats.url });
  });

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await echo?.close();
    await caller?.close();
    await nats?.stop();
  });

  for (const make of [plainFace, clientFace, (servers: string, logger: CapturingLogger) => serverFace(servers, logger, caller)]) {
    it(`${make === plainFace ? 'Picom' : make === clientFace ? 'PicomClient' : 'PicomServer'}: throwing disconnect/reconnect/status listeners and a rejecting one, across a broker restart`, async () => {
      const logger = new CapturingLogger();
      const face = await make(nats.url, logger);
      try {
        const heard: string[] = [];
        face.on('disconnect', () => {
          heard.push('disconnect');
          throw new Error('listener bug: disconnect');
        });
        face.on('status', () => {
          throw new Error('listener bug: status');
        });
        face.on('reconnect', async () => {
          heard.push('reconnect');
          throw new Error('listener bug: async reconnect');
        });
        assert.equal(await face.call(), 'x');

        await nats.restart();
        await waitUntil(() => heard.includes('reconnect'), { timeout: 10_000, message: () => `heard: ${heard.join(', ')}` });
        // The status followed nats.js back: calls work again, not DISCONNECTED for ever.
        await waitUntil(() => face.status() === PicomStatus.CONNECTED, { timeout: 5_000, message: () => `status ${face.status()}` });
        await waitUntil(async () => (await outcome(face.call())).ok, { timeout: 5_000, message: `${face.name} never served/called again` });
        assert.equal(await face.call(), 'x');

        const logged = logger.errors().join('\n');
        for (const bug of ['listener bug: disconnect', 'listener bug: status', 'listener bug: async reconnect']) {
          assert.match(logged, new RegExp(`"\\w+" listener threw; ignored: Error: ${bug}`), `${bug} not logged:\n${logged}`);
        }
        assert.deepEqual(unhandled, [], 'a listener error escaped as an unhandled rejection');
      } finally {
        await face.close();
      }
    });
  }

  it('a throwing close listener does not keep pending calls waiting, and close() resolves', async () => {
    const slow = new Picom('slowpoke', { servers: nats.url });
    await slow.expose({ wait: () => sleep(5_000) });
    const logger = new CapturingLogger();
    const picom = new Picom('closing-caller', { servers: nats.url, logger, timeout: 10_000 });
    const client = new PicomClient({ servers: nats.url, logger, timeout: 10_000 });
    for (const face of [picom, client]) {
      face.on('close', () => {
        throw new Error('listener bug: close');
      });
    }
    try {
      const pending = [outcome(picom.request('slowpoke.wait', {})), outcome(firstValueFrom(client.send('slowpoke.wait', {})))];
      await sleep(100);
      const started = performance.now();
      await within(Promise.all([picom.close(), client.close()]), 2_000, 'close() with a throwing close listener');
      for (const result of await within(Promise.all(pending), 2_000, 'the pending calls')) {
        assert.ok(result.error instanceof PicomConnectionError, String(result.error));
      }
      assert.ok(performance.now() - started < 1_000);
      assert.equal(logger.errors().filter((l) => /"close" listener threw; ignored: Error: listener bug: close/.test(l)).length, 2, logger.text);
      assert.deepEqual(unhandled, []);
    } finally {
      await slow.close();
    }
  });
});

describe('the first connect is bounded', () => {
  let silent: Server;
  let port: number;
  const sockets = new Set<Socket>();

  before(async () => {
    // Accepts TCP connections and never says a word: no INFO, as a wedged broker or a wrong port would.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('Picom.request() fails with its own 300 ms timeout, not nats.js\' 20 s connect timeout', async () => {
    const picom = new Picom('hurried', { servers: `127.0.0.1:${port}`, connectTimeout: 10_000 });
    try {
      const result = await within(outcome(picom.request('svc.add', { a: 1 }, { timeout: 300 })), 5_000, 'request');
      assert.ok(result.error instanceof PicomTimeoutError, String(result.error));
      assert.ok(result.ms >= 290 && result.ms < 1_000, `failed after ${result.ms.toFixed(0)} ms`);
      assert.ok(result.error.cause instanceof PicomConnectionError, 'the cause says the connect was still under way');
      assert.match(result.error.cause.message, /first connect is still under way/);
    } finally {
      await picom.close();
    }
  });

  it('PicomClient.send() with a 300 ms record fails with that timeout', async () => {
    const client = new PicomClient({ servers: `127.0.0.1:${port}`, connectTimeout: 10_000 });
    try {
      const record = new PicomRecordBuilder({ a: 1 }).setTimeout(300).build();
      const result = await within(outcome(firstValueFrom(client.send('svc.add', record))), 5_000, 'send');
      assert.ok(result.error instanceof PicomTimeoutError, String(result.error));
      assert.ok(result.ms >= 290 && result.ms < 1_000, `failed after ${result.ms.toFixed(0)} ms`);
    } finally {
      await client.close();
    }
  });

  it('connectTimeout bounds connect() itself, with a connection error', async () => {
    const picom = new Picom('impatient', { servers: `127.0.0.1:${port}`, connectTimeout: 400 });
    try {
      const result = await within(outcome(picom.connect()), 5_000, 'connect');
      assert.ok(result.error instanceof PicomConnectionError, String(result.error));
      assert.equal(result.error.code, PicomConnectionErrorCode.CONNECT_FAILED);
      assert.ok(result.ms >= 350 && result.ms < 2_000, `failed after ${result.ms.toFixed(0)} ms`);
    } finally {
      await picom.close();
    }
  });
});

describe('close() wins over a connect in progress', () => {
  let nats: NatsServerHandle;

  beforeEach(async () => {
    nats = await startNatsServer();
  });

  afterEach(async () => {
    await nats?.stop();
  });

  const connections = async (): Promise<number> => (await nats.monitor<{ num_connections: number }>('connz')).num_connections;

  it('PicomServer.close() during listen(): listen reports CLOSED and no connection or subscription is left', async () => {
    const server = new PicomServer({ service: 'hasty', servers: nats.url, logger: new CapturingLogger() });
    const listened = new Promise<unknown>((resolve) => void server.listen(resolve));
    await server.close();
    const err = await within(listened, 5_000, 'listen callback');
    assert.ok(err instanceof PicomConnectionError, `listen callback got ${String(err)}`);
    assert.equal(err.code, PicomConnectionErrorCode.CLOSED);
    await sleep(200);
    assert.equal(await connections(), 0, 'a connection outlived close()');
    const subsz = await nats.monitor<{ subscriptions_list?: { subject: string }[] }>('subsz?subs=1');
    assert.ok(!(subsz.subscriptions_list ?? []).some((s) => s.subject === 'hasty.>'), 'hasty.> is still subscribed');
  });

  it('PicomServer.close() while the subscription is being made: the same', async () => {
    const server = new PicomServer({ service: 'hasty2', servers: nats.url, logger: new CapturingLogger() });
    const listened = new Promise<unknown>((resolve) => void server.listen(resolve));
    server.on('status', (status) => {
      // The moment the connection opened: the subscription and its flush are next.
      if (status === PicomStatus.CONNECTED) void server.close();
    });
    const err = await within(listened, 5_000, 'listen callback');
    assert.ok(err instanceof PicomConnectionError, `listen callback got ${String(err)}`);
    await server.close();
    await sleep(200);
    assert.equal(await connections(), 0, 'a connection outlived close()');
  });

  it('Picom.close() during connect() and PicomClient.close() during connect(): both reject, nothing left open', async () => {
    const picom = new Picom('hasty3', { servers: nats.url });
    const client = new PicomClient({ servers: nats.url });
    const connecting = [outcome(picom.connect()), outcome(client.connect())];
    await Promise.all([picom.close(), client.close()]);
    for (const result of await Promise.all(connecting)) {
      assert.ok(result.error instanceof PicomConnectionError, String(result.error));
      assert.equal(result.error.code, PicomConnectionErrorCode.CLOSED);
    }
    await sleep(200);
    assert.equal(await connections(), 0, 'a connection outlived close()');
    assert.equal(picom.status, PicomStatus.CLOSED);
    // A Nest client may connect again after close(); a Picom may not.
    await client.connect();
    assert.equal(await connections(), 1);
    await client.close();
    await assert.rejects(picom.connect(), PicomConnectionError);
  });
});

describe('concurrent expose() calls', () => {
  let nats: NatsServerHandle;

  before(async () => {
    nats = await startNatsServer({
      config: `authorization { users = [ { user: nosub, password: nosub, permissions: { subscribe: { deny: ["walled.>"] } } } ] }`,
    });
  });

  after(async () => {
    await nats?.stop();
  });

  it('all reject when the server refuses the subscription; a later expose() may try again', async () => {
    const picom = new Picom('walled', { servers: `nats://nosub:nosub@${nats.hostport}` });
    try {
      const results = await Promise.all([outcome(picom.expose({ a: () => 1 })), outcome(picom.expose({ b: () => 2 })), outcome(picom.expose({ c: () => 3 }))]);
      for (const [i, result] of results.entries()) {
        assert.ok(result.error instanceof PicomPermissionError, `expose ${i}: ${String(result.error)}`);
      }
      await assert.rejects(picom.expose({ d: () => 4 }), PicomPermissionError);
    } finally {
      await picom.close();
    }
  });
});

describe('reconnects for ever by default', () => {
  it('a Nest microservice with default options serves again after a 7.5 s broker outage', { timeout: 30_000 }, async (t) => {
    const nats = await startNatsServer();
    t.after(() => nats.stop());
    const logger = new CapturingLogger();
    const svc = await startTestService({ service: 'patient', servers: nats.url, logger });
    t.after(() => svc.close());
    const caller = new Picom('patient-caller', { servers: nats.url, timeout: 1_000 });
    t.after(() => caller.close());
    assert.equal(await caller.request('patient.echo', 'before'), 'before');

    await nats.stop();
    // Longer than 3 retries would survive (the count the original Picom
    // documents): with nats.js' 2 s reconnect wait they give up about 6.2 s
    // after the disconnect.
    await sleep(7_500);
    await nats.restart();
    await waitUntil(async () => (await outcome(caller.request('patient.echo', 'after'))).ok, { timeout: 10_000, message: 'the service never served again' });
    assert.equal(svc.server.unwrap<NatsConnection>().isClosed(), false);
    assert.doesNotMatch(logger.errors().join('\n'), /exhausted/);
  });

  it('a serving process whose finite retries ran out ends with exit code 1, not 0', { timeout: 30_000 }, async (t) => {
    const nats = await startNatsServer();
    t.after(() => nats.stop());
    const child = await spawnChildService({ servers: nats.url, service: 'mortal', options: { retries: 1 } });
    t.after(() => child.kill());
    await nats.kill();
    const exit = await within(child.exited, 20_000, 'the child service');
    assert.equal(exit.code, 1, `exit ${JSON.stringify(exit)}; stderr:\n${child.stderr()}`);
  });

  it('a plain Picom service with no logger that gives up says why on stderr and ends with exit code 1', { timeout: 30_000 }, async (t) => {
    const nats = await startNatsServer();
    t.after(() => nats.stop());
    const script = `
      import { Picom } from 'picom';
      const service = new Picom('lonely', { servers: process.env.NATS_URL, retries: 0 });
      await service.expose({ ping: () => 'pong' });
      console.log('ready');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, NATS_URL: nats.url, NODE_TEST_CONTEXT: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => void child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitUntil(() => stdout.includes('ready'), { timeout: 10_000, message: () => `child not ready:\n${stderr}` });
    await nats.kill();
    assert.equal(await within(exited, 15_000, 'the child'), 1, stderr);
    assert.match(stderr, /\[PICOM_SERVICE_LOST\] Warning: Picom: NATS connection closed: reconnect attempts exhausted.*Service lonely no longer receives requests/s);
  });

  it('a PicomClient whose retries ran out dials again on its next call once the broker is back', { timeout: 30_000 }, async (t) => {
    const nats = await startNatsServer();
    t.after(() => nats.stop());
    const exitCodeBefore = process.exitCode;
    const logger = new CapturingLogger();
    const client = new PicomClient({ servers: nats.url, retries: 0, logger });
    t.after(() => client.close());
    await client.connect();
    await nats.kill();
    await waitUntil(() => logger.errors().some((l) => /reconnect attempts exhausted/.test(l)), { timeout: 10_000, message: () => logger.text });
    await nats.restart();
    const echo = new Picom('again', { servers: nats.url });
    t.after(() => echo.close());
    await echo.expose({ ping: () => 'pong' });
    assert.equal(await firstValueFrom(client.send('again.ping', {})), 'pong');
    assert.equal(process.exitCode, exitCodeBefore, 'a client that only calls must not fail the process');
  });
});

describe('start-up lines', () => {
  let nats: NatsServerHandle;

  before(async () => {
    nats = await startNatsServer({ config: 'authorization { user: admin, password: s3cr3t }' });
  });

  after(async () => {
    await nats?.stop();
  });

  it('PicomServer logs once at log level: address without credentials, service, queue group, methods', async (t) => {
    const logger = new CapturingLogger();
    const svc = await startTestService({ service: 'announced', servers: `nats://admin:s3cr3t@${nats.hostport}`, logger });
    t.after(() => svc.close());
    const lines = logger.lines.filter((l) => /listening on/.test(l.text));
    assert.equal(lines.length, 1, logger.text);
    assert.equal(lines[0]?.level, 'log');
    assert.match(lines[0]?.text ?? '', new RegExp(`service announced listening on ${nats.hostport.replace(/\./g, '\\.')}, queue group announced: .*\\becho\\b.*\\bwork\\b`));
    assert.doesNotMatch(logger.text, /s3cr3t/);
  });

  it('PicomClient and Picom log one start-up line each', async (t) => {
    const logger = new CapturingLogger();
    const client = new PicomClient({ servers: `nats://admin:s3cr3t@${nats.hostport}`, logger });
    t.after(() => client.close());
    await Promise.all([client.connect(), client.connect()]);
    const picom = new Picom('announcer', { servers: `nats://admin:s3cr3t@${nats.hostport}`, logger });
    t.after(() => picom.close());
    await picom.expose({ hello: () => 'hi' });
    const caller = new Picom('announcing-caller', { servers: `nats://admin:s3cr3t@${nats.hostport}`, logger });
    t.after(() => caller.close());
    await caller.connect();
    // One line each: the client and the calling Picom say they connected, the serving Picom that it listens.
    assert.deepEqual(
      logger.lines.filter((l) => l.level === 'log').map((l) => l.text.replace(nats.hostport, 'HOST')),
      [
        'Picom client picom:client connected to HOST',
        'Picom service announcer listening on HOST, queue group announcer: hello',
        'Picom client picom:announcing-caller connected to HOST',
      ],
    );
    assert.doesNotMatch(logger.text, /s3cr3t/);
    assert.ok((await outcome(picom.request('nobody.home', {}))).error instanceof PicomNoRespondersError);
  });
});
