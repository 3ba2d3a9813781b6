import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { firstValueFrom } from 'rxjs';
import { createInbox } from '@nats-io/transport-node';
import { Picom, PicomRemoteError } from 'picom';
import { PicomClient, PicomRecordBuilder } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { rawConnect } from '../fixtures/raw-nats.fixture.js';
import {
  CapturingLogger,
  outcome,
  sleep,
  spawnChildService,
  startTestService,
  within,
  type ChildService,
  type Outcome,
  type TestService,
  type WorkReply,
  type WorkRequest,
} from '../fixtures/picom-test.helpers.js';

const CALLS = 150;
const EVERY_MS = 8;
const HANDLER_MS = 300;
const STOP_AFTER_MS = 400;

/** Which request ids an in-process instance started and finished. */
class Tracker {
  readonly started: number[] = [];
  readonly done: number[] = [];
  readonly hooks = {
    onStart: (d: WorkRequest) => this.started.push(d.id),
    onDone: (d: WorkRequest) => this.done.push(d.id),
  };
  inFlight(): number[] {
    const finished = new Set(this.done);
    return this.started.filter((id) => !finished.has(id));
  }
}

/** `CALLS` calls, one every `EVERY_MS`; `during` runs `STOP_AFTER_MS` in, while they flow. */
async function traffic(client: PicomClient, service: string, during: () => Promise<void>): Promise<Outcome<WorkReply>[]> {
  const calls: Promise<Outcome<WorkReply>>[] = [];
  const sending = (async () => {
    for (let id = 0; id < CALLS; id++) {
      calls.push(outcome(firstValueFrom(client.send<WorkReply>(`${service}.work`, { id }))));
      await sleep(EVERY_MS);
    }
  })();
  await sleep(STOP_AFTER_MS);
  await during();
  await sending;
  return within(Promise.all(calls), 15_000, 'calls');
}

function assertEachProcessedOnce(results: Outcome<WorkReply>[], startedBy: Record<string, number[]>): void {
  for (const [id, r] of results.entries()) {
    assert.equal(r.ok, true, `call ${id} failed: ${r.error?.message}`);
    assert.equal(r.value?.id, id, `call ${id} got the reply of ${r.value?.id}`);
  }
  const counts = new Map<number, string[]>();
  for (const [instance, ids] of Object.entries(startedBy)) {
    for (const id of ids) counts.set(id, [...(counts.get(id) ?? []), instance]);
  }
  const twice = [...counts].filter(([, by]) => by.length > 1);
  assert.deepEqual(twice, [], 'processed more than once');
  const missing = results.map((_, id) => id).filter((id) => !counts.has(id));
  assert.deepEqual(missing, [], 'never processed');
}

describe('graceful shutdown', () => {
  let broker: NatsServerHandle;
  let client: PicomClient;
  const cleanup: (() => Promise<void>)[] = [];

  before(async () => {
    broker = await startNatsServer();
    client = new PicomClient({ servers: broker.url, timeout: 5_000 });
    await client.connect();
  });

  after(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    await client?.close();
    await broker?.stop();
  });

  it('app.close() with requests in flight: they complete and reply, new ones go to the other instance, none twice or lost', async (t) => {
    const a = new Tracker();
    const b = new Tracker();
    const appA = await startTestService({ service: 'grace', servers: broker.url, gracePeriod: 5_000 }, { instance: 'A', delay: HANDLER_MS, ...a.hooks });
    const appB = await startTestService({ service: 'grace', servers: broker.url, gracePeriod: 5_000 }, { instance: 'B', delay: HANDLER_MS, ...b.hooks });
    cleanup.push(appA.close, appB.close);
    let inFlightAtClose: number[] = [];
    let closeMs = 0;
    let startedByAAfterClose = 0;
    const results = await traffic(client, 'grace', async () => {
      inFlightAtClose = a.inFlight();
      const started = performance.now();
      await appA.close();
      closeMs = performance.now() - started;
      const startedAtClose = a.started.length;
      await sleep(200);
      startedByAAfterClose = a.started.length - startedAtClose;
    });

    assertEachProcessedOnce(results, { A: a.started, B: b.started });
    assert.ok(inFlightAtClose.length > 0, 'A had nothing in flight when it closed: the test proves nothing');
    for (const id of inFlightAtClose) {
      assert.equal(results[id]?.value?.instance, 'A', `call ${id}, in flight on A at close, was answered by ${results[id]?.value?.instance}`);
    }
    assert.deepEqual(a.inFlight(), [], 'A closed with handlers still running');
    assert.equal(startedByAAfterClose, 0, 'A started work after close() resolved');
    assert.ok(closeMs >= HANDLER_MS / 3 && closeMs < 5_000, `close took ${closeMs.toFixed(0)} ms`);
    const afterClose = results.slice(Math.ceil((STOP_AFTER_MS + closeMs) / EVERY_MS) + 5);
    assert.ok(afterClose.length > 0 && afterClose.every((r) => r.value?.instance === 'B'), 'calls after the close did not all go to B');
    t.diagnostic(
      `app.close(): ${inFlightAtClose.length} requests in flight on A completed and replied; close took ${closeMs.toFixed(0)} ms; ` +
        `A served ${a.started.length}, B ${b.started.length} of ${CALLS}, none twice, none lost`,
    );
  });

  it('the wait is bounded by gracePeriod: queued requests and handlers still running get an error at once', async (t) => {
    const c = new Tracker();
    const GRACE = 400;
    const log = new CapturingLogger();
    const appC = await startTestService({ service: 'bounded', servers: broker.url, gracePeriod: GRACE, maxConcurrency: 2, logger: log }, { instance: 'C', ...c.hooks });
    cleanup.push(appC.close);
    const calls = Array.from({ length: 5 }, (_, id) =>
      outcome(firstValueFrom(client.send<WorkReply>('bounded.work', new PicomRecordBuilder<WorkRequest>({ id, delay: 3_000 }).setTimeout(1_500).build()))),
    );
    await waitUntil(() => c.started.length === 2, { message: `started: ${c.started.join(', ')}` });
    const started = performance.now();
    await appC.close();
    const closeMs = performance.now() - started;
    assert.ok(closeMs >= GRACE - 20 && closeMs < GRACE + 600, `close took ${closeMs.toFixed(0)} ms with gracePeriod ${GRACE}`);

    const results = await within(Promise.all(calls), 10_000, 'calls');
    const errors = results.map((r) => String(r.error)).join('\n');
    assert.ok(results.every((r) => r.error instanceof PicomRemoteError), errors);
    const queued = results.filter((r, id) => !c.started.includes(id));
    assert.equal(queued.length, 3, errors);
    for (const r of queued) {
      assert.equal(r.error?.message, 'Service bounded is shutting down: the request was not started within the grace period');
      assert.ok(r.ms < GRACE + 600, `queued call answered after ${r.ms.toFixed(0)} ms`);
    }
    // The two running handlers outlived the grace period: their callers hear so now, not at their own 1 500 ms timeout.
    const running = results.filter((r, id) => c.started.includes(id));
    assert.equal(running.length, 2, errors);
    for (const r of running) {
      assert.equal(r.error?.message, `Service bounded is shutting down: the request did not finish within the ${GRACE} ms grace period`);
      assert.ok(r.ms < GRACE + 600, `running call answered after ${r.ms.toFixed(0)} ms`);
    }
    const graceLines = log.lines.filter((l) => l.text.includes('grace period'));
    assert.deepEqual(
      graceLines.map((l) => `${l.level}: ${l.text}`),
      [`warn: Picom: the ${GRACE} ms grace period of bounded ended with 2 handlers still running: 2 requests answered with an error; their results will be dropped`],
    );
    t.diagnostic(`gracePeriod ${GRACE} ms: close() took ${closeMs.toFixed(0)} ms; 3 queued calls answered "not started", 2 running ones "did not finish"`);
  });

  it('plain Picom with handlerTimeout 0: handlers running at the end of the grace period are answered then, once, with one log line', async (t) => {
    const GRACE = 300;
    const LATE_MS = GRACE + 250;
    const log = new CapturingLogger();
    const started: number[] = [];
    let lateResults = 0;
    const service = new Picom('plaingrace', { servers: broker.url, gracePeriod: GRACE, handlerTimeout: 0, logger: log });
    cleanup.push(() => service.close());
    await service.expose({
      hold: (message: { id: number }) => {
        started.push(message.id);
        return new Promise((resolve) =>
          setTimeout(() => {
            lateResults++;
            resolve(message.id);
          }, LATE_MS),
        );
      },
    });
    // A raw caller with a reply subject of its own: it sees every reply, with the time it came.
    const raw = await rawConnect(broker.url);
    cleanup.push(() => raw.close());
    const inbox = createInbox();
    const replies: { data: string; at: number }[] = [];
    raw.subscribe(inbox, { callback: (_err, msg) => void replies.push({ data: msg.string(), at: performance.now() }) });
    await raw.flush();
    for (const id of [0, 1, 2]) raw.publish('plaingrace.hold', JSON.stringify({ id }), { reply: inbox });
    await waitUntil(() => started.length === 3, { message: `started: ${started.join(', ')}` });

    const closeStarted = performance.now();
    await service.close();
    const closeMs = performance.now() - closeStarted;
    assert.ok(closeMs >= GRACE - 20 && closeMs < GRACE + 600, `close took ${closeMs.toFixed(0)} ms with gracePeriod ${GRACE}`);
    await waitUntil(() => lateResults === 3, { message: 'the handlers never resolved: the test proves nothing' });
    await sleep(100);

    const text = `Service plaingrace is shutting down: the request did not finish within the ${GRACE} ms grace period`;
    assert.deepEqual(
      replies.map((r) => r.data),
      [0, 1, 2].map(() => JSON.stringify({ error: text })),
      'one error reply per running request, and no late result',
    );
    for (const r of replies) {
      const ms = r.at - closeStarted;
      assert.ok(ms >= GRACE - 20 && ms < GRACE + 200, `answered ${ms.toFixed(0)} ms after close() began`);
    }
    // Everything above the start-up line: one warning, nothing else.
    assert.deepEqual(
      log.lines.filter((l) => l.level !== 'log').map((l) => `${l.level}: ${l.text}`),
      [`warn: Picom: the ${GRACE} ms grace period of plaingrace ended with 3 handlers still running: 3 requests answered with an error; their results will be dropped`],
    );
    t.diagnostic(`gracePeriod ${GRACE} ms, handlerTimeout 0: 3 running requests answered when close() gave up (${closeMs.toFixed(0)} ms), late results dropped`);
  });

  describe('SIGTERM to a Nest process with enableShutdownHooks()', () => {
    let child: ChildService | undefined;
    after(async () => child?.kill());

    it('in-flight requests complete and reply, new ones go to the other instance, the process exits', async (t) => {
      const b = new Tracker();
      const appB = await startTestService({ service: 'sigterm', servers: broker.url }, { instance: 'B', delay: HANDLER_MS, ...b.hooks });
      cleanup.push(appB.close);
      const proc = await spawnChildService({ servers: broker.url, service: 'sigterm', instance: 'child', delay: HANDLER_MS, options: { gracePeriod: 5_000 } });
      child = proc;
      let signalledAt = 0;
      let inFlightAtSignal: number[] = [];
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let exitMs = 0;
      const results = await traffic(client, 'sigterm', async () => {
        const done = new Set(proc.ids('done'));
        inFlightAtSignal = proc.ids('start').filter((id) => !done.has(id));
        signalledAt = performance.now();
        proc.child.kill('SIGTERM');
        exit = await within(proc.exited, 10_000, 'child exit after SIGTERM');
        exitMs = performance.now() - signalledAt;
      });

      assert.ok(exit?.signal === 'SIGTERM' || exit?.code === 0, `exit ${JSON.stringify(exit)}\n${proc.stderr()}`);
      assertEachProcessedOnce(results, { child: proc.ids('start'), B: b.started });
      assert.ok(inFlightAtSignal.length > 0, 'nothing was in flight in the child at SIGTERM: the test proves nothing');
      for (const id of inFlightAtSignal) {
        assert.equal(results[id]?.value?.instance, 'child', `call ${id}, in flight at SIGTERM, was answered by ${results[id]?.value?.instance}`);
      }
      const started = new Set(proc.ids('start'));
      assert.deepEqual(proc.ids('done').filter((id) => !started.has(id)), []);
      assert.equal(proc.ids('done').length, started.size, 'the child died with handlers still running');
      const closed = proc.events.find((e) => e.event === 'closed');
      assert.ok(closed, `the child never reported its connection closed\n${proc.stderr()}`);
      const lastDone = Math.max(...proc.events.filter((e) => e.event === 'done').map((e) => e.at));
      assert.ok(closed.at >= lastDone, 'the connection closed before the last handler finished');
      assert.ok(results.slice(-20).every((r) => r.value?.instance === 'B'), 'the last calls did not all go to B');
      t.diagnostic(
        `SIGTERM: ${inFlightAtSignal.length} requests in flight in the child completed and replied; it exited ${exitMs.toFixed(0)} ms after the signal ` +
          `(${JSON.stringify(exit)}); child served ${started.size}, B ${b.started.length} of ${CALLS}, none twice, none lost`,
      );
    });
  });
});
