import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomConnectionError, PicomConnectionErrorCode, PicomNoRespondersError, PicomStatus } from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { CapturingLogger, outcome, sleep, startTestService, within, type TestService } from '../fixtures/picom-test.helpers.js';

const RETRIES = 2;

function assertConnectionLost(err: Error | undefined, what: string): void {
  assert.ok(err instanceof PicomConnectionError, `${what}: ${String(err)}`);
  assert.equal(err.code, PicomConnectionErrorCode.CONNECTION_LOST, `${what}: ${err.message}`);
  assert.match(err.message, /reconnect attempts exhausted/, what);
}

/** Resources that keep a process busy: sockets and timers. */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/**
 * The broker goes away for good: once `retries` reconnect attempts failed,
 * every endpoint says so once (status `closed`, an error log, a `close` event)
 * and fails pending calls at once. A serving endpoint stays closed and sets a
 * failing exit code; callers dial again on their next call (as Nest's ClientNats does).
 */
describe(`retries exhausted (retries: ${RETRIES})`, () => {
  let broker: NatsServerHandle;
  let service: TestService;
  let client: PicomClient;
  let caller: Picom;
  const serviceLog = new CapturingLogger();
  const clientLog = new CapturingLogger();
  const callerLog = new CapturingLogger();
  const closeEvents: { who: string; err: Error | undefined }[] = [];
  const statusEvents: string[] = [];
  let resourcesBefore: Map<string, number>;

  before(async () => {
    broker = await startNatsServer();
    resourcesBefore = activeResources();
    service = await startTestService({ service: 'doomed', servers: broker.url, retries: RETRIES, gracePeriod: 500, logger: serviceLog });
    service.server.on('close', (err) => closeEvents.push({ who: 'server', err }));
    service.server.status.subscribe((s) => statusEvents.push(`server:${s}`));
    client = new PicomClient({ servers: broker.url, retries: RETRIES, timeout: 20_000, logger: clientLog });
    client.on('close', (err) => closeEvents.push({ who: 'client', err }));
    client.status.subscribe((s) => statusEvents.push(`client:${s}`));
    await client.connect();
    caller = new Picom('doomed-caller', { servers: broker.url, retries: RETRIES, timeout: 20_000, logger: callerLog });
    caller.on('close', (err) => closeEvents.push({ who: 'caller', err }));
    caller.on('status', (s) => statusEvents.push(`caller:${s}`));
    await caller.connect();
  });

  after(async () => {
    await client?.close();
    await caller?.close();
    await service?.close();
    await broker?.stop();
  });

  it('reports it clearly, fails pending calls at once; the service stays down, callers dial again on their next call', async (t) => {
    assert.deepEqual(await firstValueFrom(client.send('doomed.work', { id: 1 })), { id: 1, instance: 'default' });

    // Pending calls with a 20 s timeout: they must not wait for it.
    const pending = [
      ...Array.from({ length: 5 }, (_, i) => outcome(firstValueFrom(client.send('doomed.work', { id: 10 + i, delay: 5_000 })))),
      ...Array.from({ length: 5 }, (_, i) => outcome(caller.request('doomed.work', { id: 20 + i, delay: 5_000 }))),
    ];
    await sleep(50);
    const killedAt = performance.now();
    await broker.kill();

    const settled = await within(Promise.all(pending), 15_000, 'pending calls after the broker died');
    const failedAfter = performance.now() - killedAt;
    for (const [i, result] of settled.entries()) {
      assert.equal(result.ok, false);
      assertConnectionLost(result.error, `pending call ${i}`);
    }

    await waitUntil(() => closeEvents.length === 3, { timeout: 10_000, message: () => `close events: ${closeEvents.map((e) => e.who).join(', ')}` });
    const closedAfter = performance.now() - killedAt;
    for (const { who, err } of closeEvents) {
      assertConnectionLost(err, `close event of ${who}`);
    }
    assert.equal(caller.status, PicomStatus.CLOSED);
    assert.ok(statusEvents.includes('server:closed'), statusEvents.join(', '));
    assert.ok(statusEvents.includes('client:closed'), statusEvents.join(', '));
    for (const [name, log] of [['service', serviceLog], ['client', clientLog], ['caller', callerLog]] as const) {
      const errors = log.errors().filter((line) => /reconnect attempts exhausted/.test(line));
      assert.equal(errors.length, 1, `${name} logs the loss once at error level:\n${log.text}`);
      assert.match(errors[0] ?? '', /NATS connection closed/);
    }

    // A serving process that gave up must not exit 0: a supervisor restarts it.
    assert.equal(process.exitCode, 1, 'the lost service set no failing exit code');
    process.exitCode = undefined;
    assert.match(serviceLog.errors().join('\n'), /no longer receives requests.*exit code 1.*retries: -1/s);
    for (const log of [clientLog, callerLog]) {
      assert.match(log.errors().join('\n'), /The next call dials NATS again/);
    }

    // Callers dial again on their next call; the broker is still gone, so that fails at once.
    const newCalls = await Promise.all([
      outcome(firstValueFrom(client.send('doomed.work', { id: 99 }))),
      outcome(firstValueFrom(client.emit('doomed.work', { id: 98 }))),
      outcome(caller.request('doomed.echo', 'x')),
      outcome(caller.publish('doomed.echo', 'x')),
    ]);
    for (const [i, result] of newCalls.entries()) {
      assert.ok(result.error instanceof PicomConnectionError, `new call ${i}: ${String(result.error)}`);
      assert.equal(result.error.code, PicomConnectionErrorCode.CONNECT_FAILED, `new call ${i}: ${result.error.message}`);
      assert.ok(result.ms < 1_000, `new call ${i} took ${result.ms.toFixed(0)} ms`);
    }
    const burst = performance.now();
    const many = await Promise.all(Array.from({ length: 1_000 }, (_, i) => outcome(firstValueFrom(client.send('doomed.echo', i)))));
    assert.ok(many.every((r) => r.error instanceof PicomConnectionError));
    const burstMs = performance.now() - burst;

    // Nothing spins: no status change, no reconnect, no connection when the broker is back until a call asks for one.
    const statusCount = statusEvents.length;
    await broker.restart();
    await sleep(2_500);
    assert.equal(statusEvents.length, statusCount, `status changed after closing: ${statusEvents.slice(statusCount).join(', ')}`);
    const connz = await broker.monitor<{ num_connections: number }>('connz');
    assert.equal(connz.num_connections, 0, 'an endpoint connected again on its own');

    // The next call connects again; the service that gave up stays gone, and NATS says nobody serves it.
    const back = await Promise.all([outcome(firstValueFrom(client.send('doomed.echo', 'x'))), outcome(caller.request('doomed.echo', 'x'))]);
    for (const [i, result] of back.entries()) {
      assert.ok(result.error instanceof PicomNoRespondersError, `call ${i} after the broker came back: ${String(result.error)}`);
    }
    assert.equal(service.server.unwrap<{ isClosed(): boolean }>().isClosed(), true);
    await client.close();
    await caller.close();

    // Nothing leaks: no socket or timer left by the three dead endpoints.
    // (The monitor request's socket may take a moment to close.)
    let resourcesAfter = activeResources();
    const leaked = (): string[] =>
      ['TCPSocketWrap', 'Timeout']
        .filter((kind) => (resourcesAfter.get(kind) ?? 0) > (resourcesBefore.get(kind) ?? 0))
        .map((kind) => `${kind}: ${resourcesBefore.get(kind) ?? 0} before, ${resourcesAfter.get(kind) ?? 0} after`);
    await waitUntil(() => ((resourcesAfter = activeResources()), leaked().length === 0), {
      timeout: 2_000,
      message: () => leaked().join('; '),
    });

    t.diagnostic(
      `retries exhausted: ${settled.length} pending calls failed ${failedAfter.toFixed(0)} ms after the broker died (their timeout: 20000 ms); ` +
        `all endpoints closed after ${closedAfter.toFixed(0)} ms; 1000 new calls failed in ${burstMs.toFixed(0)} ms`,
    );
  });

});

describe('retries exhausted with requests queued behind maxConcurrency', () => {
  let broker: NatsServerHandle;
  let service: TestService | undefined;
  let caller: Picom | undefined;
  after(async () => {
    await caller?.close();
    await service?.close();
    await broker?.stop();
  });

  it('the queue is dropped once, not run handler by handler against a dead connection', async (t) => {
    broker = await startNatsServer();
    const log = new CapturingLogger();
    let started = 0;
    service = await startTestService(
      { service: 'backlog', servers: broker.url, retries: 0, maxConcurrency: 1, gracePeriod: 500, logger: log },
      { delay: 150, onStart: () => started++ },
    );
    const closed = new Promise<Error | undefined>((resolve) => service?.server.on('close', resolve));
    caller = new Picom('backlog-caller', { servers: broker.url, retries: 0, timeout: 20_000 });
    const calls = Array.from({ length: 20 }, (_, id) => outcome(caller!.request('backlog.work', { id })));
    await waitUntil(() => started === 1, { message: `started ${started}` });
    await sleep(100); // the other 19 are delivered and queued
    await broker.kill();
    assertConnectionLost(await within(closed, 10_000, 'service close'), 'service close event');
    assert.equal(process.exitCode, 1);
    process.exitCode = undefined;
    const startedAtClose = started;
    await sleep(1_000);
    assert.equal(started, startedAtClose, `${started - startedAtClose} queued handlers ran after the connection was gone`);
    const errors = log.errors();
    assert.ok(errors.length <= 3, `error log lines:\n${errors.join('\n')}`);
    assert.match(errors.join('\n'), /queued requests? .*dropped/);
    const results = await within(Promise.all(calls), 10_000, 'calls');
    assert.ok(results.every((r) => r.error instanceof PicomConnectionError), results.map((r) => String(r.error)).join('\n'));
    t.diagnostic(`connection lost with ${20 - startedAtClose} requests queued: dropped at once; ${errors.length} error log lines`);
  });
});
