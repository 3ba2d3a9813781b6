import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomConnectionError, PicomNoRespondersError, PicomStatus } from 'picom';
import { PicomClient, PicomServer } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, createNestService, type NestService } from '../fixtures/nest-app.fixture.js';
import { NEST_LACKS } from '../fixtures/nest-features.fixture.js';
import { deferred, sleep } from '../fixtures/raw-nats.fixture.js';

/** Shared state of the handlers below. */
const state = {
  slowStarted: 0,
  slowFinished: 0,
  hangStarted: 0,
  hang: deferred(),
};

@Controller()
class LifeController {
  @MessagePattern('slow')
  async slow(@Payload() data: { ms: number }) {
    state.slowStarted++;
    await sleep(data.ms);
    state.slowFinished = Date.now();
    return 'finished';
  }

  @MessagePattern('hang')
  async hang() {
    state.hangStarted++;
    await state.hang.promise;
    return 'released';
  }

  @MessagePattern('fast')
  fast() {
    return 'fast';
  }
}

/** Picom methods with the same behaviour as LifeController. */
const plainMethods = {
  slow: async (msg: { ms: number }) => {
    state.slowStarted++;
    await sleep(msg.ms);
    state.slowFinished = Date.now();
    return 'finished';
  },
  hang: async () => {
    state.hangStarted++;
    await state.hang.promise;
    return 'released';
  },
  fast: () => 'fast',
};

/** Requests `subject` until NATS says nobody serves it: the closing instance stopped taking deliveries. */
async function waitForNoResponders(caller: Picom, subject: string): Promise<void> {
  await waitUntil(
    async () => {
      try {
        await caller.request(subject, {}, { timeout: 500 });
        return false;
      } catch (err) {
        return err instanceof PicomNoRespondersError;
      }
    },
    { timeout: 3_000, interval: 10, message: `${subject} still has responders` },
  );
}

/**
 * The two shutdown behaviours, for any server kind: a handler within the grace
 * period gets its reply out; one longer than the grace period does not hold
 * close() beyond it.
 */
function gracefulShutdownTests(
  kind: string,
  start: (service: string, nats: NatsServerHandle, gracePeriod: number, maxConcurrency?: number) => Promise<{ close(): Promise<void>; nc(): NatsConnection }>,
): void {
  describe(`${kind}: graceful close()`, () => {
    let nats: NatsServerHandle;
    let caller: Picom;

    before(async () => {
      state.hang = deferred();
      nats = await startNatsServer();
      caller = new Picom('lifecaller', { servers: [nats.url], timeout: 5_000 });
    });

    after(async () => {
      state.hang.resolve();
      await caller?.close();
      await nats?.stop();
    });

    it('stops new deliveries, lets an in-flight handler reply within the grace period, then closes the connection', async () => {
      const svc = await start('graceful', nats, 3_000);
      const nc = svc.nc();
      try {
        const startedBefore = state.slowStarted;
        let repliedAt = 0;
        const inFlight = caller.request('graceful.slow', { ms: 700 }).then((v) => {
          repliedAt = Date.now();
          return v;
        });
        await waitUntil(() => state.slowStarted > startedBefore, { message: 'the slow handler did not start' });
        let closedAt = 0;
        const closing = svc.close().then(() => (closedAt = Date.now()));
        // New requests are no longer delivered to the closing instance…
        await waitForNoResponders(caller, 'graceful.fast');
        assert.equal(closedAt, 0, 'close() resolved before the in-flight handler finished');
        assert.equal(nc.isClosed(), false, 'the connection closed before the in-flight reply went out');
        // …while the in-flight one still gets its reply.
        assert.equal(await inFlight, 'finished');
        await closing;
        // close() waited for the handler; its reply went out (and arrived) although the connection is now closed.
        assert.ok(state.slowFinished > 0 && closedAt >= state.slowFinished, 'close() resolved before the in-flight handler finished');
        assert.ok(repliedAt > 0);
        assert.equal(nc.isClosed(), true, 'the connection is still open after close()');
      } finally {
        await svc.close();
      }
    });

    it('does not hold close() beyond the grace period for a handler that takes longer', async () => {
      const svc = await start('impatient', nats, 250);
      const nc = svc.nc();
      try {
        const startedBefore = state.hangStarted;
        const stuck = caller.request('impatient.hang', {}, { timeout: 1_500 });
        stuck.catch(() => undefined);
        await waitUntil(() => state.hangStarted > startedBefore, { message: 'the hanging handler did not start' });
        const started = performance.now();
        await svc.close();
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= 200, `close() returned after ${elapsed.toFixed(0)} ms, without waiting for the handler`);
        assert.ok(elapsed < 1_250, `close() took ${elapsed.toFixed(0)} ms with a 250 ms grace period`);
        assert.equal(nc.isClosed(), true);
        // The caller hears at once that the handler did not finish, not at its own timeout.
        await assert.rejects(stuck, { message: 'Service impatient is shutting down: the request did not finish within the 250 ms grace period' });
      } finally {
        await svc.close();
      }
    });

    it('answers requests still queued at the end of the grace period with the shutting-down error', async () => {
      const svc = await start('queued', nats, 200, 1);
      try {
        const startedBefore = state.hangStarted;
        const first = caller.request('queued.hang', {}, { timeout: 2_000 });
        first.catch(() => undefined);
        await waitUntil(() => state.hangStarted > startedBefore);
        const second = caller.request('queued.fast', {}, { timeout: 2_000 });
        second.catch(() => undefined);
        await sleep(100);
        await svc.close();
        await assert.rejects(second, /Service queued is shutting down/);
      } finally {
        await svc.close();
      }
    });
  });
}

gracefulShutdownTests('PicomServer (Nest app.close())', async (service, nats, gracePeriod, maxConcurrency) => {
  const svc = await createNestService({ controllers: [LifeController] }, {
    service,
    servers: [nats.url],
    gracePeriod,
    ...(maxConcurrency ? { maxConcurrency } : {}),
  });
  return { close: () => svc.close(), nc: () => svc.app.unwrap<NatsConnection>() };
});

gracefulShutdownTests('plain Picom', async (service, nats, gracePeriod, maxConcurrency) => {
  const picom = new Picom(service, { servers: [nats.url], gracePeriod, ...(maxConcurrency ? { maxConcurrency } : {}) });
  await picom.expose(plainMethods);
  return { close: () => picom.close(), nc: () => picom.unwrap<NatsConnection>() };
});

describe('closing callers fails their pending calls at once', () => {
  let nats: NatsServerHandle;
  let slowService: Picom;
  const release = deferred();

  before(async () => {
    nats = await startNatsServer();
    slowService = new Picom('sluggish', { servers: [nats.url], gracePeriod: 50 });
    await slowService.expose({ wait: () => release.promise.then(() => 'late') });
  });

  after(async () => {
    release.resolve();
    await slowService?.close();
    await nats?.stop();
  });

  it('PicomClient.close() fails pending send()s at once, not after the timeout', async () => {
    const client = new PicomClient({ servers: [nats.url], timeout: 10_000 });
    try {
      const pending = firstValueFrom(client.send('sluggish.wait', {}));
      pending.catch(() => undefined);
      await sleep(150);
      const started = performance.now();
      await client.close();
      await assert.rejects(pending, (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.ok(err instanceof PicomConnectionError, `${(err as Error).name}: ${(err as Error).message}`);
        return true;
      });
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1_000, `the pending call failed ${elapsed.toFixed(0)} ms after close()`);
    } finally {
      await client.close();
    }
  });

  it('Picom.close() fails its own pending requests at once', async () => {
    const picom = new Picom('closer', { servers: [nats.url], timeout: 10_000 });
    try {
      const pending = picom.request('sluggish.wait', {});
      pending.catch(() => undefined);
      await sleep(150);
      const started = performance.now();
      await picom.close();
      await assert.rejects(pending, PicomConnectionError);
      assert.ok(performance.now() - started < 1_000);
      // And later calls fail at once too.
      await assert.rejects(picom.request('sluggish.wait', {}), PicomConnectionError);
    } finally {
      await picom.close();
    }
  });

  it('a PicomClient can connect again after close()', async () => {
    const client = new PicomClient({ servers: [nats.url], timeout: 2_000 });
    const fast = new Picom('again', { servers: [nats.url] });
    try {
      await fast.expose({ ping: () => 'pong' });
      assert.equal(await firstValueFrom(client.send('again.ping', {})), 'pong');
      await client.close();
      assert.equal(await firstValueFrom(client.send('again.ping', {})), 'pong');
    } finally {
      await closeAll(client, fast);
    }
  });
});

describe('unwrap()', () => {
  let nats: NatsServerHandle;

  before(async () => {
    nats = await startNatsServer();
  });

  after(async () => {
    await nats?.stop();
  });

  it('PicomServer: throws before listen(), returns the NatsConnection after', async (t) => {
    const svc = await createNestService({ controllers: [LifeController] }, { service: 'unwrapped', servers: [nats.url] }, { listen: false });
    t.after(() => svc.close());
    assert.throws(() => svc.server.unwrap(), /listen/);
    await svc.app.listen();
    const nc = svc.server.unwrap<NatsConnection>();
    assert.equal(typeof nc.request, 'function');
    assert.equal(nc.isClosed(), false);
    assert.equal(nc.info?.port, nats.port);
    assert.equal(svc.app.unwrap<NatsConnection>(), nc);
    await svc.close();
    assert.equal(nc.isClosed(), true);
    assert.throws(() => svc.server.unwrap());
  });

  it('PicomClient: throws before connect(), returns the NatsConnection after', async (t) => {
    const client = new PicomClient({ servers: [nats.url] });
    t.after(() => client.close());
    assert.throws(() => client.unwrap(), /connect/);
    const returned = await client.connect();
    const nc = client.unwrap<NatsConnection>();
    assert.equal(returned, nc);
    assert.equal(nc.isClosed(), false);
    assert.equal(nc.info?.port, nats.port);
    await client.close();
    assert.equal(nc.isClosed(), true);
  });

  it('Picom: throws before connect(), returns the NatsConnection after', async (t) => {
    const picom = new Picom('unwrapme', { servers: [nats.url] });
    t.after(() => picom.close());
    assert.throws(() => picom.unwrap(), PicomConnectionError);
    await picom.connect();
    const nc = picom.unwrap<NatsConnection>();
    assert.equal(nc.isClosed(), false);
    assert.equal(nc.info?.port, nats.port);
    await picom.close();
    assert.equal(nc.isClosed(), true);
  });
});

describe('status and events across a nats-server crash and restart on the same port', () => {
  let nats: NatsServerHandle;
  let svc: NestService;
  let client: PicomClient;
  let picom: Picom;
  const serverStatuses: string[] = [];
  const clientStatuses: string[] = [];
  const picomStatuses: string[] = [];
  const events: Record<'server' | 'client' | 'picom', { event: string; arg?: unknown }[]> = { server: [], client: [], picom: [] };

  before(async () => {
    nats = await startNatsServer();
    svc = await createNestService({ controllers: [LifeController] }, { service: 'phoenix', servers: [nats.url] }, { listen: false });
    svc.server.status.subscribe((s) => serverStatuses.push(s));
    for (const event of ['disconnect', 'reconnect', 'close'] as const) {
      svc.app.on(event, (arg?: unknown) => events.server.push({ event, arg }));
    }
    await svc.app.listen();
    client = new PicomClient({ servers: [nats.url], timeout: 3_000 });
    client.status.subscribe((s) => clientStatuses.push(s));
    for (const event of ['disconnect', 'reconnect', 'close'] as const) {
      client.on(event, (arg?: unknown) => events.client.push({ event, arg }));
    }
    await client.connect();
    picom = new Picom('phoenixcaller', { servers: [nats.url], timeout: 3_000 });
    picom.on('status', (s) => picomStatuses.push(s));
    for (const event of ['disconnect', 'reconnect', 'close'] as const) {
      picom.on(event, (arg?: unknown) => events.picom.push({ event, arg }));
    }
    await picom.connect();
  });

  after(async () => {
    await closeAll(picom, client, svc);
    await nats?.stop();
  });

  it('reports connected once connected', async () => {
    assert.deepEqual(serverStatuses, [PicomStatus.CONNECTED]);
    assert.deepEqual(clientStatuses, [PicomStatus.CONNECTED]);
    assert.equal(picom.status, PicomStatus.CONNECTED);
    assert.equal(await picom.request('phoenix.fast', {}), 'fast');
  });

  it('emits disconnect and leaves connected when the server dies', async () => {
    await nats.kill();
    await waitUntil(() => ['server', 'client', 'picom'].every((k) => events[k as 'server'].some((e) => e.event === 'disconnect')), {
      timeout: 5_000,
      message: () => `disconnect events: ${JSON.stringify(events)}`,
    });
    for (const k of ['server', 'client', 'picom'] as const) {
      const e = events[k].find((x) => x.event === 'disconnect');
      assert.match(String(e?.arg), new RegExp(String(nats.port)), `${k}: disconnect names the server`);
    }
    await waitUntil(() => serverStatuses.at(-1) !== PicomStatus.CONNECTED && clientStatuses.at(-1) !== PicomStatus.CONNECTED);
    assert.ok(serverStatuses.includes(PicomStatus.DISCONNECTED), serverStatuses.join());
    assert.ok(clientStatuses.includes(PicomStatus.DISCONNECTED), clientStatuses.join());
    assert.notEqual(picom.status, PicomStatus.CONNECTED);
    assert.ok(picomStatuses.includes(PicomStatus.DISCONNECTED), picomStatuses.join());
  });

  it('emits reconnect, reports connected again and serves again once the server is back', async () => {
    await nats.restart();
    await waitUntil(() => ['server', 'client', 'picom'].every((k) => events[k as 'server'].some((e) => e.event === 'reconnect')), {
      timeout: 10_000,
      message: () => `reconnect events: ${JSON.stringify(events)}`,
    });
    await waitUntil(
      () =>
        serverStatuses.at(-1) === PicomStatus.CONNECTED &&
        clientStatuses.at(-1) === PicomStatus.CONNECTED &&
        picom.status === PicomStatus.CONNECTED,
      { message: () => `statuses: server ${serverStatuses.join()} client ${clientStatuses.join()} picom ${picom.status}` },
    );
    for (const statuses of [serverStatuses, clientStatuses, picomStatuses]) {
      const reconnecting = statuses.indexOf(PicomStatus.RECONNECTING);
      assert.ok(reconnecting > 0, `no reconnecting status: ${statuses.join()}`);
      assert.ok(statuses.lastIndexOf(PicomStatus.CONNECTED) > reconnecting, statuses.join());
    }
    // The server's subscription came back with the connection.
    await waitUntil(async () => (await picom.request('phoenix.fast', {}).catch(() => undefined)) === 'fast', {
      message: 'Picom → Nest server does not work after the reconnect',
    });
    assert.equal(await firstValueFrom(client.send('phoenix.fast', {})), 'fast');
  });

  it('reports closed after close()', async () => {
    await svc.close();
    await client.close();
    await picom.close();
    assert.equal(serverStatuses.at(-1), PicomStatus.CLOSED, serverStatuses.join());
    assert.equal(clientStatuses.at(-1), PicomStatus.CLOSED, clientStatuses.join());
    assert.equal(picom.status, PicomStatus.CLOSED);
    assert.equal(picomStatuses.at(-1), PicomStatus.CLOSED);
    for (const k of ['server', 'client', 'picom'] as const) {
      const close = events[k].find((e) => e.event === 'close');
      assert.ok(close, `${k}: no close event`);
      assert.equal(close.arg, undefined, `${k}: a close() is not an error`);
    }
  });
});

describe('a Nest app runs on its PicomServer', () => {
  let nats: NatsServerHandle;

  before(async () => {
    nats = await startNatsServer();
  });

  after(async () => {
    await nats?.stop();
  });

  interface SubDetail {
    subject: string;
    qgroup?: string;
    cid: number;
    msgs: number;
  }

  async function subscriptionsOn(subject: string): Promise<SubDetail[]> {
    const subsz = await nats.monitor<{ subscriptions_list?: SubDetail[] }>('subsz?subs=1');
    return (subsz.subscriptions_list ?? []).filter((s) => s.subject === subject);
  }

  it('the app holds the PicomServer it was given as its strategy', { skip: NEST_LACKS.transportServer }, async (t) => {
    const svc = await createNestService({ controllers: [LifeController] }, { service: 'held', servers: [nats.url] }, { listen: false });
    t.after(() => svc.close());
    const strategy = svc.app.getTransportServer();
    assert.ok(strategy instanceof PicomServer, `the app runs on ${strategy?.constructor?.name}`);
    assert.equal(strategy, svc.server, 'the fixture hands out another PicomServer than the app runs on');
  });

  it('app.listen() subscribes <service>.> in queue group <service> on the strategy\'s connection, which serves the app\'s handlers', async (t) => {
    const svc = await createNestService({ controllers: [LifeController] }, { service: 'strategist', servers: [nats.url] }, { listen: false });
    t.after(() => svc.close());
    const caller = new Picom('strategistcaller', { servers: [nats.url], timeout: 2_000 });
    t.after(() => caller.close());
    // The app runs on the fixture's PicomServer: the test above sees it where Nest shows it.
    const strategy = svc.server;
    const statuses: string[] = [];
    strategy.status.subscribe((s) => statuses.push(s));
    assert.deepEqual(await subscriptionsOn('strategist.>'), [], 'subscribed before listen()');

    await svc.app.listen();

    const nc = strategy.unwrap<NatsConnection>();
    assert.equal(svc.app.unwrap<NatsConnection>(), nc, 'app.unwrap() is not the strategy\'s connection');
    assert.equal(nc.isClosed(), false);
    assert.equal(statuses.at(-1), PicomStatus.CONNECTED, statuses.join());
    const subs = await subscriptionsOn('strategist.>');
    assert.equal(subs.length, 1, `subscriptions on strategist.>: ${JSON.stringify(subs)}`);
    const [sub] = subs as [SubDetail];
    assert.equal(sub.qgroup, 'strategist');
    assert.equal(sub.cid, nc.info?.client_id, 'the subscription is on another connection than the strategy\'s');
    // A request to the service reaches the app's controller through that subscription.
    assert.equal(await caller.request('strategist.fast', {}), 'fast');
    const [served] = (await subscriptionsOn('strategist.>')) as [SubDetail];
    assert.equal(served.msgs, sub.msgs + 1);

    await svc.close();
    // The broker drops the subscription once it has seen the connection go.
    await waitUntil(async () => (await subscriptionsOn('strategist.>')).length === 0, { message: 'still subscribed after app.close()' });
    assert.equal(nc.isClosed(), true);
    assert.equal(statuses.at(-1), PicomStatus.CLOSED, statuses.join());
  });
});
