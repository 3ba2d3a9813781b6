import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomConnectionError, PicomConnectionErrorCode, PicomStatus, PicomTimeoutError } from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { CapturingLogger, outcome, sleep, startTestService, within, type TestService } from '../fixtures/picom-test.helpers.js';

/**
 * kill -9 of the broker under a running Nest service and its callers, then a
 * restart on the same port: no call hangs during the outage, and everything
 * works again afterwards without restarting any endpoint.
 */
describe('broker restart (kill -9, restart on the same port)', () => {
  const TIMEOUT = 600;
  /** Sweeper resolution plus event-loop slack on a busy 2-core machine. */
  const SLACK = 250;
  let broker: NatsServerHandle;
  let service: TestService;
  let client: PicomClient;
  let caller: Picom;
  const serviceLog = new CapturingLogger();
  const events: string[] = [];
  const clientStatuses: string[] = [];
  const serverStatuses: string[] = [];

  before(async () => {
    broker = await startNatsServer();
    service = await startTestService({ service: 'restart', servers: broker.url, retries: -1, logger: serviceLog });
    service.server.on('disconnect', () => events.push('server:disconnect'));
    service.server.on('reconnect', () => events.push('server:reconnect'));
    service.server.status.subscribe((s) => serverStatuses.push(s));
    client = new PicomClient({ servers: broker.url, retries: -1, timeout: TIMEOUT });
    client.on('disconnect', () => events.push('client:disconnect'));
    client.on('reconnect', () => events.push('client:reconnect'));
    client.status.subscribe((s) => clientStatuses.push(s));
    await client.connect();
    caller = new Picom('restart-caller', { servers: broker.url, retries: -1, timeout: TIMEOUT });
    caller.on('disconnect', () => events.push('caller:disconnect'));
    caller.on('reconnect', () => events.push('caller:reconnect'));
    await caller.connect();
  });

  after(async () => {
    await client?.close();
    await caller?.close();
    await service?.close();
    await broker?.stop();
  });

  it('settles every call during the outage with an Error within its timeout, then serves again', async (t) => {
    const send = (id: number, delay = 0) => firstValueFrom(client.send('restart.work', { id, delay }));
    assert.deepEqual(await send(0), { id: 0, instance: 'default' });
    assert.equal(await caller.request('restart.echo', 'before'), 'before');

    // Calls in flight when the broker dies: the handler is still running.
    const inFlight = [
      ...Array.from({ length: 10 }, (_, i) => outcome(send(100 + i, 300))),
      ...Array.from({ length: 10 }, (_, i) => outcome(caller.request('restart.work', { id: 200 + i, delay: 300 }))),
    ];
    await sleep(50);
    const killedAt = performance.now();
    await broker.kill();

    await waitUntil(() => events.includes('server:disconnect') && events.includes('client:disconnect') && events.includes('caller:disconnect'), {
      timeout: 5_000,
      message: () => `disconnect not reported by every endpoint: ${events.join(', ')}`,
    });
    // The server reports the outage and keeps its connection: it reconnects rather than giving up.
    assert.ok([PicomStatus.DISCONNECTED, PicomStatus.RECONNECTING].includes(serverStatuses.at(-1) as never), serverStatuses.join(', '));
    assert.equal(service.server.unwrap<NatsConnection>().isClosed(), false, 'the server closed its connection in the outage');
    assert.ok([PicomStatus.DISCONNECTED, PicomStatus.RECONNECTING].includes(caller.status as never), caller.status);

    // Calls made during the outage.
    const duringOutage = [
      ...Array.from({ length: 10 }, (_, i) => outcome(send(300 + i))),
      ...Array.from({ length: 10 }, (_, i) => outcome(caller.request('restart.echo', i))),
    ];
    const settled = await within(Promise.all([...inFlight, ...duringOutage]), TIMEOUT + 5_000, 'calls during the outage');
    for (const [i, result] of settled.entries()) {
      assert.equal(result.ok, false, `call ${i} succeeded while the broker was down`);
      assert.ok(result.error instanceof Error, `call ${i} settled with ${String(result.error)}`);
      assert.ok(result.ms <= TIMEOUT + 50 + SLACK, `call ${i} took ${result.ms.toFixed(0)} ms (timeout ${TIMEOUT})`);
    }
    // In flight when the broker died: their replies can never come, they time out.
    for (const [i, result] of settled.slice(0, inFlight.length).entries()) {
      assert.ok(result.error instanceof PicomTimeoutError, `in-flight call ${i}: ${result.error?.message}`);
    }
    // Made while the connection is down: refused at once, nothing sent (nats.js would drop it).
    for (const [i, result] of settled.slice(inFlight.length).entries()) {
      assert.ok(result.error instanceof PicomConnectionError, `call ${i} during the outage: ${result.error?.message}`);
      assert.equal(result.error.code, PicomConnectionErrorCode.DISCONNECTED);
      assert.match(result.error.message, /the NATS connection is down and reconnecting/);
      assert.ok(result.ms < 50, `call ${i} during the outage took ${result.ms.toFixed(0)} ms`);
    }
    const slowest = Math.max(...settled.map((r) => r.ms));
    const outageSlowest = Math.max(...settled.slice(inFlight.length).map((r) => r.ms));

    // Keep the broker down longer than a call timeout, so nothing buffered can still succeed.
    await sleep(Math.max(0, TIMEOUT + 200 - (performance.now() - killedAt)));
    await broker.restart();
    const restartedAt = performance.now();
    await waitUntil(() => events.includes('server:reconnect') && events.includes('client:reconnect') && events.includes('caller:reconnect'), {
      timeout: 10_000,
      message: () => `reconnect not reported by every endpoint: ${events.join(', ')}`,
    });
    const reconnectMs = performance.now() - restartedAt;

    // The same endpoints serve again: no new client, no new service.
    const recovered = await waitUntil(async () => (await outcome(send(400))).ok, { timeout: 5_000, interval: 50, message: 'calls still failing after reconnect' });
    assert.equal(recovered, true);
    const recoveredMs = performance.now() - restartedAt;
    const after = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => send(500 + i)),
      ...Array.from({ length: 20 }, (_, i) => caller.request('restart.work', { id: 600 + i })),
    ]);
    assert.deepEqual(
      after.map((r) => r.id),
      [...Array.from({ length: 20 }, (_, i) => 500 + i), ...Array.from({ length: 20 }, (_, i) => 600 + i)],
    );

    assert.equal(caller.status, PicomStatus.CONNECTED);
    assert.equal(clientStatuses.at(-1), PicomStatus.CONNECTED);
    assert.equal(serverStatuses.at(-1), PicomStatus.CONNECTED);
    assert.ok(clientStatuses.includes(PicomStatus.DISCONNECTED), clientStatuses.join(','));
    assert.ok(serverStatuses.includes(PicomStatus.DISCONNECTED), serverStatuses.join(','));
    assert.ok(clientStatuses.includes(PicomStatus.RECONNECTING), clientStatuses.join(','));
    assert.match(serviceLog.text, /disconnected from NATS at .*127\.0\.0\.1/);
    assert.match(serviceLog.text, /reconnected to NATS at .*127\.0\.0\.1/);

    t.diagnostic(
      `broker restart: ${inFlight.length} calls in flight at the kill failed with their timeout (slowest ${slowest.toFixed(0)} ms, timeout ${TIMEOUT} ms), ` +
        `${duringOutage.length} calls made during the outage failed at once with DISCONNECTED (slowest ${outageSlowest.toFixed(1)} ms); ` +
        `every endpoint reconnected ${reconnectMs.toFixed(0)} ms after the restart, first successful call after ${recoveredMs.toFixed(0)} ms`,
    );
  });
});
