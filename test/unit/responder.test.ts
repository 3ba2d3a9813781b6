import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Msg } from '@nats-io/transport-node';
import { delay, of } from 'rxjs';
import type { PicomConnection } from '../../lib/connection/picom.connection.js';
import type { PicomLogger } from '../../lib/interfaces/picom-logger.interface.js';
import { CallRecorder } from '../../lib/responder/call.recorder.js';
import { RESPONDER_MESSAGES } from '../../lib/responder/constants.js';
import { isObservableLike, replyValue } from '../../lib/responder/handler-result.js';
import { PicomResponder, type PicomResponderOptions } from '../../lib/responder/picom.responder.js';
import { RefusalLedger } from '../../lib/responder/refusal.ledger.js';
import { ReplyWriter } from '../../lib/responder/reply.writer.js';
import { RunningCalls } from '../../lib/responder/running-calls.js';
import { PicomRoute, type RouteHandler } from '../../lib/routes/picom-route.js';
import { encodeError } from '../../lib/protocol/envelope.codec.js';

/**
 * The responder and its parts without NATS: a connection that hands the
 * subscription's callback to the test and keeps what is published. What
 * travels on the wire is tested against a real nats-server elsewhere.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Published {
  readonly subject: string;
  readonly body: string;
}

class FakeConnection {
  readonly published: Published[] = [];
  maxPayload = 1024 * 1024;
  isClosed = false;
  readonly closed = new Promise<undefined>(() => undefined);
  deliver: ((err: Error | null, msg: Msg) => void) | undefined;
  readonly nc = {
    subscribe: (_subject: string, options: { callback: (err: Error | null, msg: Msg) => void }) => {
      this.deliver = options.callback;
      return { isClosed: () => false, drain: async () => undefined, closed: Promise.resolve() };
    },
    flush: async () => undefined,
    publish: (subject: string, data: Uint8Array) => {
      this.published.push({ subject, body: decoder.decode(data) });
    },
  };

  /** Delivers a message as nats.js would: `reply` empty for a publish. */
  send(subject: string, body: string, reply = 'INBOX.1'): void {
    assert.ok(this.deliver, 'nothing subscribed');
    this.deliver(null, { subject, reply, data: encoder.encode(body) } as unknown as Msg);
  }

  bodies(): unknown[] {
    return this.published.map((p) => JSON.parse(p.body) as unknown);
  }
}

class LinesLogger implements PicomLogger {
  readonly lines: string[] = [];
  error = (text: string): void => void this.lines.push(text);
  warn = (text: string): void => void this.lines.push(text);
  log = (text: string): void => void this.lines.push(text);
}

function routes(handlers: Record<string, RouteHandler>): Map<string, PicomRoute> {
  return new Map(Object.entries(handlers).map(([method, handler]) => [method, new PicomRoute(handler)]));
}

async function responderWith(
  handlers: Record<string, RouteHandler>,
  options: Partial<PicomResponderOptions> = {},
): Promise<{ connection: FakeConnection; responder: PicomResponder; logger: LinesLogger; table: Map<string, PicomRoute> }> {
  const connection = new FakeConnection();
  const logger = new LinesLogger();
  const table = routes(handlers);
  const responder = new PicomResponder(connection as unknown as PicomConnection, {
    service: 'svc',
    maxConcurrency: Infinity,
    maxQueued: 0,
    handlerTimeout: 0,
    maxHeaderBytes: 16_384,
    maxHeaderCount: 100,
    logger,
    routes: table,
    ...options,
  });
  await responder.start();
  return { connection, responder, logger, table };
}

const tick = (): Promise<void> => sleep(1);

describe('PicomResponder without NATS', () => {
  it('answers a sync and an async handler with a payload envelope, an unknown method and bad JSON with the wire texts', async () => {
    const { connection, responder } = await responderWith({
      add: (m) => (m as { a: number }).a + 1,
      later: async (m) => ({ got: m }),
    });
    connection.send('svc.add', '{"a":1}');
    connection.send('svc.later', '"x"');
    connection.send('svc.nope', '{}');
    connection.send('svc.add', '{oops');
    await tick();
    assert.deepEqual(connection.bodies(), [{ payload: 2 }, { error: 'Method not found "nope"' }, { error: 'Bad JSON request' }, { payload: { got: 'x' } }]);
    assert.equal(responder.ledger.counts().unknownMethod, 1);
    assert.equal(responder.busy, 0);
  });

  it('answers a thrown and a rejected failure, and records both in the method stats while measuring', async () => {
    const { connection, responder, table } = await responderWith({
      sync: () => {
        throw new Error('sync boom');
      },
      async: () => Promise.reject(new Error('async boom')),
    });
    responder.recorder.measuring = true;
    connection.send('svc.sync', '{}');
    connection.send('svc.async', '{}');
    await tick();
    assert.deepEqual(connection.bodies(), [{ error: 'sync boom' }, { error: 'async boom' }]);
    assert.equal(table.get('sync')?.stats.errors, 1);
    assert.equal(table.get('async')?.stats.lastError, 'async boom');
  });

  it('queues past maxConcurrency, then turns requests away as overloaded and counts dropped publishes', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { connection, responder } = await responderWith({ slow: () => gate.then(() => 'done') }, { maxConcurrency: 1, maxQueued: 1 });
    connection.send('svc.slow', '{}', 'INBOX.a');
    connection.send('svc.slow', '{}', 'INBOX.b');
    connection.send('svc.slow', '{}', 'INBOX.c');
    connection.send('svc.slow', '{}', '');
    assert.deepEqual(connection.published, [{ subject: 'INBOX.c', body: JSON.stringify({ error: RESPONDER_MESSAGES.busy('svc') }) }]);
    assert.equal(responder.ledger.counts().overloaded, 1);
    assert.equal(responder.ledger.droppedPublishes, 1);
    release();
    await tick();
    assert.deepEqual(
      connection.published.slice(1).map((p) => p.subject),
      ['INBOX.a', 'INBOX.b'],
    );
  });

  it('answers a handler past handlerTimeout once, with the timeout text, and drops its late result', async () => {
    const { connection } = await responderWith({ slow: () => sleep(120).then(() => 'late') }, { handlerTimeout: 30 });
    connection.send('svc.slow', '{}');
    await sleep(200);
    assert.deepEqual(connection.bodies(), [{ error: RESPONDER_MESSAGES.handlerTimedOut('svc.slow', 30) }]);
  });

  it('close() answers what still runs after the grace period', async () => {
    const { connection, responder, logger } = await responderWith({ never: () => new Promise(() => undefined) });
    connection.send('svc.never', '{}');
    await responder.close(20);
    assert.deepEqual(connection.bodies(), [{ error: RESPONDER_MESSAGES.gracePeriodOver('svc', 20) }]);
    assert.equal(responder.busy, 0);
    assert.match(logger.lines.join('\n'), /grace period of svc ended with 1 handlers/);
  });

  it("with observables on, replies with an Observable's last value, returned or resolved", async () => {
    const { connection } = await responderWith(
      { now: () => of(1, 2, 3), later: async () => of('a', 'b').pipe(delay(5)), none: () => of() },
      { observables: true },
    );
    connection.send('svc.now', '{}');
    connection.send('svc.later', '{}');
    connection.send('svc.none', '{}');
    await sleep(30);
    assert.deepEqual(connection.bodies(), [{ payload: 3 }, {}, { payload: 'b' }]);
  });

  it('with observables off (plain Picom), an Observable-shaped result is a value like any other', async () => {
    const shaped = { lift: () => undefined, subscribe: () => undefined, n: 1 };
    const { connection } = await responderWith({ shaped: () => shaped });
    connection.send('svc.shaped', '{}');
    assert.deepEqual(connection.bodies(), [{ payload: { n: 1 } }]);
  });
});

describe('ReplyWriter', () => {
  function writer(connection: FakeConnection, logger = new LinesLogger()): { writer: ReplyWriter; ledger: RefusalLedger } {
    const ledger = new RefusalLedger('svc', 0, logger);
    return { writer: new ReplyWriter(connection as unknown as PicomConnection, ledger, logger, encodeError), ledger };
  }

  it("sends an error instead of a reply over the server's max_payload or not JSON, and says which", () => {
    const connection = new FakeConnection();
    connection.maxPayload = 256;
    const { writer: w } = writer(connection);
    const msg = { subject: 'svc.m', reply: 'INBOX.1' } as Msg;
    assert.equal(w.success(msg, 'small'), undefined);
    const tooLarge = w.success(msg, 'x'.repeat(300));
    assert.equal(tooLarge, RESPONDER_MESSAGES.replyTooLarge(314, 256));
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const unserializable = w.success(msg, cyclic);
    assert.match(unserializable ?? '', /^Cannot encode the reply as JSON/);
    assert.deepEqual(connection.bodies(), [{ payload: 'small' }, { error: tooLarge }, { error: unserializable }]);
  });

  it('sends nothing to a reply subject over MAX_REPLY_SUBJECT_BYTES, and counts it', () => {
    const connection = new FakeConnection();
    const { writer: w, ledger } = writer(connection);
    w.failure({ subject: 'svc.m', reply: 'I'.repeat(2000) } as Msg, 'nope');
    assert.equal(connection.published.length, 0);
    assert.equal(ledger.droppedReplies, 1);
  });

  it("hands back the error text it sent, and logs a publish's failure instead of sending it", () => {
    const connection = new FakeConnection();
    const logger = new LinesLogger();
    const { writer: w } = writer(connection, logger);
    assert.equal(w.error({ subject: 'svc.m', reply: 'INBOX.1' } as Msg, new Error('boom')), 'boom');
    assert.equal(w.error({ subject: 'svc.m', reply: '' } as Msg, new Error('quiet')), 'quiet');
    assert.deepEqual(connection.bodies(), [{ error: 'boom' }]);
    assert.match(logger.lines.join('\n'), /handler for svc\.m failed on a publish: quiet/);
  });
});

describe('RefusalLedger', () => {
  it('names each refusal, counts it and keeps the latest text for STATS', () => {
    const ledger = new RefusalLedger('svc', 5, new LinesLogger());
    assert.equal(ledger.unknownMethod('Method not found "x"'), 'Method not found "x"');
    assert.equal(ledger.overloaded(), RESPONDER_MESSAGES.busy('svc'));
    assert.equal(ledger.headersRefused('svc.m', 'too many', true), RESPONDER_MESSAGES.headersRefused('svc.m', 'too many'));
    ledger.headersRefused('svc.m', 'too many', false);
    ledger.queueOverflow();
    assert.deepEqual(ledger.counts(), {
      unknownMethod: 1,
      headersRefused: 2,
      overloaded: 1,
      publishesDropped: 1,
      repliesDropped: 0,
      lastError: RESPONDER_MESSAGES.publishDropped('svc'),
    });
    // The publish refused for its headers and the one past the queue.
    assert.equal(ledger.droppedPublishes, 2);
  });
});

describe('CallRecorder', () => {
  it('leaves the stats alone while not measuring, and records one outcome per call while measuring', () => {
    const recorder = new CallRecorder('svc', false);
    const route = new PicomRoute(() => undefined);
    recorder.succeeded(route, recorder.started(), undefined);
    assert.equal(route.stats.requests, 0);
    recorder.measuring = true;
    recorder.succeeded(route, recorder.started(), undefined);
    recorder.failed(route, recorder.started(), undefined, 'bad', 'Error');
    recorder.failed(undefined, 0, undefined, 'unknown', 'unknown_method');
    assert.deepEqual([route.stats.requests, route.stats.errors, route.stats.lastError], [2, 1, 'bad']);
    assert.equal(recorder.trace({} as Msg, route, 'm'), undefined, 'tracing off starts no span');
  });
});

describe('RunningCalls', () => {
  it('tells of a call past its deadline once, abandoned, and a late finish is refused', async () => {
    const expired: unknown[] = [];
    const calls = new RunningCalls(20, (call) => expired.push(call));
    const route = new PicomRoute(() => undefined);
    const late = calls.start({ subject: 'a' } as Msg, route, 0, undefined, false);
    const quick = calls.start({ subject: 'b' } as Msg, route, 0, undefined, false);
    assert.equal(calls.finish(quick), true);
    await sleep(80);
    assert.deepEqual(expired, [late]);
    assert.equal(late.abandoned, true);
    assert.equal(calls.finish(late), false);
    assert.equal(calls.size, 0);
  });

  it('lets a call leave from the middle, expires the rest oldest first, and abandons what is left', async () => {
    const expired: string[] = [];
    const calls = new RunningCalls(30, (call) => expired.push(call.msg.subject));
    const route = new PicomRoute(() => undefined);
    const start = (subject: string) => calls.start({ subject } as Msg, route, 0, undefined, false);
    start('a');
    const middle = start('b');
    start('c');
    assert.equal(calls.finish(middle), true);
    assert.equal(calls.size, 2);
    await sleep(90);
    assert.deepEqual(expired, ['a', 'c']);
    const left = [start('d'), start('e'), start('f')];
    calls.finish(left[0] as never);
    assert.deepEqual(calls.abandonAll().map((call) => call.msg.subject), ['e', 'f']);
    assert.equal(calls.size, 0);
    await sleep(60);
    assert.deepEqual(expired, ['a', 'c'], 'abandoned calls never time out');
  });

  it('never times out a call when the handler timeout is 0', async () => {
    const calls = new RunningCalls(0, () => assert.fail('no deadline'));
    calls.start({ subject: 'a' } as Msg, new PicomRoute(() => undefined), 0, undefined, false);
    await sleep(40);
    assert.equal(calls.size, 1);
    calls.abandonAll();
  });
});

describe('handler results', () => {
  it('recognises rxjs Observables by shape, and gives their last value, returned or resolved', async () => {
    assert.equal(isObservableLike(of(1)), true);
    assert.equal(isObservableLike({ subscribe: () => undefined }), false);
    assert.equal(replyValue(5), 5);
    assert.equal(await replyValue(of(1, 2)), 2);
    assert.equal(await replyValue(Promise.resolve(of('x', 'y'))), 'y');
    assert.equal(await replyValue(Promise.resolve(7)), 7);
    await assert.rejects(replyValue(Promise.reject(new Error('no'))) as Promise<unknown>, /no/);
  });
});
