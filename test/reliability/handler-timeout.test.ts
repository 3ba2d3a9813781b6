import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MessagePattern, RpcException } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { NEVER, type Observable } from 'rxjs';
import { Picom, PicomRemoteError, PicomTimeoutError } from 'picom';
import { PicomServer } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, moduleOf } from '../fixtures/nest-app.fixture.js';
import { CapturingLogger, outcome } from '../fixtures/picom-test.helpers.js';
import { collectReplies, rawConnect, rawRequest, sleep } from '../fixtures/raw-nats.fixture.js';

/**
 * The server-side deadline (`handlerTimeout`): a handler whose result has not
 * settled in time gets its caller answered with an error at once, its slot
 * freed, and its late result dropped.
 */

const HANDLER_TIMEOUT = 200;
/** The callers' own timeout: far above the handler timeout, so an answer before it is the server's doing. */
const CALLER_TIMEOUT = 5_000;
/** The deadline timer's resolution plus event-loop slack on a shared machine. */
const SLACK = 400;
/** How far the responder's deadline timer may be set from the handler timeout (it rounds up and adds 1 ms). */
const TIMER_SLACK_MS = 5;

const timedOutText = (subject: string, ms = HANDLER_TIMEOUT): string => `Handler for ${subject} did not finish within ${ms} ms`;
const envelope = (text: string): string => JSON.stringify({ error: text });

let lateResolved = 0;

const METHODS = {
  hang: () => new Promise(() => undefined),
  late: () =>
    new Promise((resolve) =>
      setTimeout(() => {
        lateResolved++;
        resolve('late');
      }, HANDLER_TIMEOUT + 250),
    ),
  quick: async (message: unknown) => {
    await sleep(20);
    return message;
  },
  slow: async (message: unknown) => {
    await sleep(HANDLER_TIMEOUT + 100);
    return message;
  },
  echo: (message: unknown) => message,
  rejectObject: (message: unknown) => Promise.reject(message),
};

/**
 * Counts the deadline timers (`setTimeout`s of about the handler timeout) and
 * how many are armed: set, neither fired nor cleared. The callers here are
 * raw nats.js or use other timeouts, so the only Picom code in this process
 * that could set one is the responder.
 */
class DeadlineTimers {
  created = 0;
  private readonly live = new Set<unknown>();
  private readonly originalSet = globalThis.setTimeout;
  private readonly originalClear = globalThis.clearTimeout;

  install(): void {
    const live = this.live;
    const originalSet = this.originalSet;
    const originalClear = this.originalClear;
    const patchedSet = (callback: (...args: unknown[]) => void, ms?: number, ...rest: unknown[]): NodeJS.Timeout => {
      if (ms === undefined || Math.abs(ms - HANDLER_TIMEOUT) > TIMER_SLACK_MS) {
        return originalSet(callback, ms, ...rest);
      }
      this.created++;
      const timer: NodeJS.Timeout = originalSet(() => {
        live.delete(timer);
        callback(...rest);
      }, ms);
      live.add(timer);
      return timer;
    };
    const patchedClear = (timer: Parameters<typeof clearTimeout>[0]): void => {
      live.delete(timer);
      originalClear(timer);
    };
    globalThis.setTimeout = patchedSet as typeof setTimeout;
    globalThis.clearTimeout = patchedClear as typeof clearTimeout;
  }

  uninstall(): void {
    globalThis.setTimeout = this.originalSet;
    globalThis.clearTimeout = this.originalClear;
  }

  get alive(): number {
    return this.live.size;
  }
}

describe('handlerTimeout on a plain Picom service', () => {
  let broker: NatsServerHandle;
  let service: Picom;
  let single: Picom;
  let caller: Picom;
  let raw: NatsConnection;
  const singleLog = new CapturingLogger();

  before(async () => {
    broker = await startNatsServer();
    service = new Picom('deadline', { servers: broker.url, handlerTimeout: HANDLER_TIMEOUT });
    await service.expose(METHODS);
    single = new Picom('single', { servers: broker.url, handlerTimeout: HANDLER_TIMEOUT, maxConcurrency: 1, logger: singleLog });
    await single.expose(METHODS);
    caller = new Picom('caller', { servers: broker.url, timeout: CALLER_TIMEOUT });
    raw = await rawConnect(broker.url);
  });

  after(async () => {
    await raw?.close();
    await closeAll(caller, single, service);
    await broker?.stop();
  });

  it('a handler that never settles: its caller gets the handler-timeout error at once, not at its own timeout', async () => {
    const r = await outcome(caller.request('deadline.hang', { n: 1 }));
    assert.ok(r.error instanceof PicomRemoteError, String(r.error));
    assert.equal(r.error.message, timedOutText('deadline.hang'));
    assert.ok(r.ms >= HANDLER_TIMEOUT - 5, `answered after ${r.ms.toFixed(0)} ms, before the handler timeout`);
    assert.ok(r.ms < HANDLER_TIMEOUT + SLACK, `answered after ${r.ms.toFixed(0)} ms`);
  });

  it('exactly one reply on the wire: the late result is dropped', async () => {
    const before = lateResolved;
    // The window covers the handler's late resolve (HANDLER_TIMEOUT + 250 ms after the request).
    const replies = await collectReplies(raw, 'deadline.late', '{}', { windowMs: 600 });
    assert.equal(lateResolved, before + 1, 'the handler did not resolve within the window: the test proves nothing');
    assert.deepEqual(replies, [envelope(timedOutText('deadline.late'))]);
    // And the service still serves.
    assert.equal(await rawRequest(raw, 'deadline.echo', '{"ok":1}'), '{"payload":{"ok":1}}');
  });

  it('maxConcurrency 1: the overrunning handler frees its slot, so the request queued behind it is served', async () => {
    const hung = outcome(caller.request('single.hang', {}));
    await sleep(20);
    const queued = outcome(caller.request('single.quick', { id: 2 }));
    const [first, second] = await Promise.all([hung, queued]);
    assert.equal(first.error?.message, timedOutText('single.hang'));
    assert.equal(second.ok, true, String(second.error));
    assert.deepEqual(second.value, { id: 2 });
    assert.ok(second.ms >= HANDLER_TIMEOUT - 40, `the queued request was served after ${second.ms.toFixed(0)} ms: it did not wait for the slot`);
    assert.ok(second.ms < HANDLER_TIMEOUT + SLACK, `the queued request was served after ${second.ms.toFixed(0)} ms`);
  });

  it('a publish that overruns is logged (warn) and its slot freed', async () => {
    const from = singleLog.lines.length;
    raw.publish('single.hang', new TextEncoder().encode('{}'));
    await raw.flush();
    await sleep(20);
    const queued = await outcome(caller.request('single.echo', { id: 3 }));
    assert.deepEqual(queued.value, { id: 3 }, String(queued.error));
    assert.ok(queued.ms >= HANDLER_TIMEOUT - 40 && queued.ms < HANDLER_TIMEOUT + SLACK, `served after ${queued.ms.toFixed(0)} ms`);
    const lines = singleLog.lines.slice(from);
    assert.equal(lines.length, 1, singleLog.text);
    assert.equal(lines[0]?.level, 'warn');
    assert.match(lines[0]?.text ?? '', new RegExp(`^Picom: ${timedOutText('single.hang')} on a publish`));
  });

  it('a failing publish is logged readably whatever was thrown: an object\'s message, or its JSON', async () => {
    const from = singleLog.lines.length;
    raw.publish('single.rejectObject', new TextEncoder().encode('{"message":"plain object boom"}'));
    raw.publish('single.rejectObject', new TextEncoder().encode('{"code":"E_X"}'));
    raw.publish('single.rejectObject', new TextEncoder().encode('"a string"'));
    await raw.flush();
    await waitUntil(() => singleLog.lines.length >= from + 3, { timeout: 2_000, message: () => singleLog.text });
    assert.deepEqual(
      singleLog.lines.slice(from).map((l) => `${l.level}: ${l.text}`),
      [
        'warn: Picom: handler for single.rejectObject failed on a publish: plain object boom',
        'warn: Picom: handler for single.rejectObject failed on a publish: {"code":"E_X"}',
        'warn: Picom: handler for single.rejectObject failed on a publish: a string',
      ],
    );
  });

  describe('the deadline timer', () => {
    const timers = new DeadlineTimers();
    let untimed: Picom;

    before(async () => {
      untimed = new Picom('untimed', { servers: broker.url, handlerTimeout: 0, gracePeriod: 100 });
      await untimed.expose(METHODS);
      timers.install();
    });

    after(async () => {
      timers.uninstall();
      await untimed?.close();
    });

    it('is armed for asynchronous handlers only, and not again once none is in flight', async () => {
      const created = timers.created;
      assert.equal(await rawRequest(raw, 'deadline.echo', '1'), '{"payload":1}');
      assert.equal(timers.created, created, 'a synchronous handler armed the timer');
      assert.equal(await rawRequest(raw, 'deadline.quick', '2'), '{"payload":2}');
      assert.equal(timers.created, created + 1, 'an asynchronous handler did not arm the timer');
      // Armed for the deadline of a handler that finished long before it: it wakes once, finds nothing, and stays off.
      await waitUntil(() => timers.alive === 0, { timeout: 1_000, message: `${timers.alive} deadline timers still armed with nothing in flight` });
      await sleep(HANDLER_TIMEOUT + 50);
      assert.equal(timers.created, created + 1, 'the timer was armed again with nothing in flight');
    });

    it('handlerTimeout 0: nothing armed, a slow handler runs to its end', async () => {
      const created = timers.created;
      assert.equal(await rawRequest(raw, 'untimed.slow', '3', CALLER_TIMEOUT), '{"payload":3}');
      assert.equal(timers.created, created, 'a deadline timer armed with handlerTimeout 0');
      const r = await outcome(caller.request('untimed.hang', {}, { timeout: HANDLER_TIMEOUT + 100 }));
      assert.ok(r.error instanceof PicomTimeoutError, `expected the caller's own timeout, got ${String(r.error)}`);
    });
  });
});

@Controller()
class DeadlineController {
  @MessagePattern('forever')
  forever(): Observable<number> {
    return NEVER;
  }

  @EventPattern('explode')
  async explode(_data: unknown): Promise<void> {
    await sleep(5);
    throw new Error('boom');
  }

  @EventPattern('explodeRpc')
  explodeRpc(_data: unknown): void {
    throw new RpcException('boom');
  }
}

describe('handlerTimeout and failure logs on a Nest PicomServer', () => {
  let broker: NatsServerHandle;
  let nest: INestMicroservice;
  let caller: Picom;
  let raw: NatsConnection;
  /** Picom's logger and Nest's: Nest logs an unknown exception itself before its filter hides it. */
  const log = new CapturingLogger();

  before(async () => {
    broker = await startNatsServer();
    const strategy = new PicomServer({ service: 'nestdl', servers: broker.url, handlerTimeout: HANDLER_TIMEOUT, logger: log });
    nest = await NestFactory.createMicroservice(moduleOf({ controllers: [DeadlineController] }), { strategy, logger: log, abortOnError: false });
    await nest.listen();
    caller = new Picom('caller', { servers: broker.url, timeout: CALLER_TIMEOUT });
    raw = await rawConnect(broker.url);
  });

  after(async () => {
    await raw?.close();
    await closeAll(caller, nest);
    await broker?.stop();
  });

  it('an Observable that never completes: its caller gets the handler-timeout error at once, one reply on the wire', async () => {
    const r = await outcome(caller.request('nestdl.forever', {}));
    assert.equal(r.error?.message, timedOutText('nestdl.forever'));
    assert.ok(r.ms < HANDLER_TIMEOUT + SLACK, `answered after ${r.ms.toFixed(0)} ms`);
    const replies = await collectReplies(raw, 'nestdl.forever', '{}', { windowMs: 300 });
    assert.deepEqual(replies, [envelope(timedOutText('nestdl.forever'))]);
  });

  it("a failing @EventPattern handler is logged with the error's text, not [object Object]", async () => {
    const from = log.lines.length;
    raw.publish('nestdl.explodeRpc', new TextEncoder().encode('{}'));
    await raw.flush();
    await waitUntil(() => log.lines.length > from, { timeout: 2_000, message: () => `logged:\n${log.text}` });
    assert.deepEqual(
      log.lines.slice(from).map((l) => `${l.level}: ${l.text}`),
      ['warn: Picom: handler for nestdl.explodeRpc failed on a publish: boom'],
    );
  });

  it('an @EventPattern handler throwing an Error: Nest logs it, Picom says what its filter made of it', async () => {
    const from = log.lines.length;
    raw.publish('nestdl.explode', new TextEncoder().encode('{}'));
    await raw.flush();
    await waitUntil(() => log.lines.length >= from + 2, { timeout: 2_000, message: () => `logged:\n${log.text}` });
    const lines = log.lines.slice(from).map((l) => `${l.level}: ${l.text}`);
    assert.ok(!lines.some((l) => l.includes('[object Object]')), lines.join('\n'));
    // BaseRpcExceptionFilter logs an unknown exception (with its stack) and hands on only "Internal server error".
    assert.ok(lines.some((l) => l.startsWith('error: ') && l.includes('boom')), lines.join('\n'));
    assert.ok(lines.includes('warn: Picom: handler for nestdl.explode failed on a publish: Internal server error'), lines.join('\n'));
  });
});
