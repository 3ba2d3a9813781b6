import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { Picom } from 'picom';
import type { PicomContext } from 'picom/nest';
import { freePort, startNatsServer, waitForRemoteInterest, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, createNestService, type NestService } from '../fixtures/nest-app.fixture.js';
import { CapturingLogger, lagProbe, outcome, sleep } from '../fixtures/picom-test.helpers.js';
import { rawConnect } from '../fixtures/raw-nats.fixture.js';

/**
 * A hostile caller on a raw nats.js connection against the serving side:
 * header blocks built to stall the event loop, floods of publishes at a slow
 * service, and reply subjects too long for the service's control line.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `NATS/1.0` and `keys` distinct `k<i>: v` lines: 20,000 keys make the 179 KB block of the report. */
function headerBlock(keys: number): Uint8Array {
  const lines = ['NATS/1.0\r\n'];
  for (let i = 0; i < keys; i++) lines.push(`k${i}: v\r\n`);
  lines.push('\r\n');
  return encoder.encode(lines.join(''));
}

/**
 * Headers nats.js sends as they are: it only calls `encode()`. Building 20,000
 * keys with its own `headers()` is itself quadratic (each append scans every key).
 */
function rawHeaders(block: Uint8Array): MsgHdrs {
  return { encode: () => block } as unknown as MsgHdrs;
}

/** Publishes a request with `headers` to `subject` and resolves with the first reply's body and how long it took. */
async function requestWith(
  nc: NatsConnection,
  subject: string,
  { headers, body = '{}', reply = createInbox(), timeout = 3_000 }: { headers?: MsgHdrs; body?: string; reply?: string; timeout?: number },
): Promise<{ body: string; ms: number }> {
  const started = performance.now();
  const answer = new Promise<Msg>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`no reply from ${subject} within ${timeout} ms`));
    }, timeout);
    const sub = nc.subscribe(reply, {
      max: 1,
      callback: (_err, msg) => {
        clearTimeout(timer);
        resolve(msg);
      },
    });
  });
  await nc.flush();
  nc.publish(subject, encoder.encode(body), { reply, headers });
  const msg = await answer;
  return { body: decoder.decode(msg.data), ms: performance.now() - started };
}

/** The counters a responder's refusal ledger keeps for the service's stats: internal to the core, so read through private fields. */
interface ResponderCounters {
  readonly droppedPublishes: number;
  readonly refusedHeaders: number;
  readonly droppedReplies: number;
}

function countersOf(picom: Picom): ResponderCounters {
  const responder = (picom as unknown as { endpoint: { responder?: { ledger: ResponderCounters } } }).endpoint.responder;
  assert.ok(responder, 'the Picom serves nothing');
  return responder.ledger;
}

/** Lines of `logger` matching `pattern`, with their captured groups as numbers. */
function numbersIn(logger: CapturingLogger, pattern: RegExp): number[][] {
  return logger.lines.flatMap((line) => {
    const match = pattern.exec(line.text);
    return match ? [match.slice(1).map(Number)] : [];
  });
}

const runs = { plain: 0, header: 0 };

@Controller()
class HostileController {
  @MessagePattern('plain')
  plain(@Payload() _data: unknown): string {
    runs.plain++;
    return 'ok';
  }

  @MessagePattern('header')
  header(@Ctx() ctx: PicomContext): unknown {
    runs.header++;
    const args = ctx.getArgs();
    return {
      id: ctx.getHeader('x-id') ?? null,
      byIndex: (ctx.getArgByIndex(1) as MsgHdrs | undefined)?.get('x-id') ?? null,
      args: [args[0], args[2], args[3]],
      missing: ctx.getHeader('x-missing') ?? null,
    };
  }
}

describe('hostile header blocks', () => {
  let broker: NatsServerHandle;
  let nest: NestService;
  let roomy: NestService;
  let plain: Picom;
  let raw: NatsConnection;
  const plainLog = new CapturingLogger();
  let plainRuns = 0;

  before(async () => {
    broker = await startNatsServer();
    nest = await createNestService({ controllers: [HostileController] }, { service: 'hostile', servers: broker.url });
    // Limits raised far enough to let the 20,000 keys reach the handler: only laziness protects it.
    roomy = await createNestService(
      { controllers: [HostileController] },
      { service: 'roomy', servers: broker.url, maxHeaderBytes: 1_000_000, maxHeaderCount: 50_000 },
    );
    plain = new Picom('plainhostile', { servers: broker.url, logger: plainLog });
    await plain.expose({
      plain: () => {
        plainRuns++;
        return 'ok';
      },
      header: (_message, msg) => msg.headers?.get('x-id') ?? null,
    });
    raw = await rawConnect(broker.url);
  });

  after(async () => {
    await raw?.close();
    await closeAll(nest, roomy, plain);
    await broker?.stop();
  });

  for (const [what, subject, ran] of [
    ['a Nest PicomServer', 'hostile.plain', () => runs.plain],
    ['a plain Picom service', 'plainhostile.plain', () => plainRuns],
  ] as const) {
    it(`a request with 20,000 header keys to ${what} is answered at once with the maxHeaderBytes error; no handler runs, no stall`, async () => {
      const block = headerBlock(20_000);
      assert.ok(block.length > 170_000, `${block.length} bytes`);
      const before = ran();
      const probe = lagProbe();
      const reply = await requestWith(raw, subject, { headers: rawHeaders(block), timeout: 10_000 });
      const lag = probe.stop();
      assert.deepEqual(JSON.parse(reply.body), {
        error: `Request to ${subject} refused without reading its headers: ${block.length} bytes of headers, more than the 16384 allowed (maxHeaderBytes)`,
      });
      assert.equal(ran(), before, 'the handler ran');
      assert.ok(reply.ms < 1_000, `answered after ${reply.ms.toFixed(0)} ms`);
      assert.ok(lag < 500, `the event loop stalled for ${lag.toFixed(0)} ms`);
    });
  }

  it('101 one-byte header lines are refused naming maxHeaderCount', async () => {
    const before = plainRuns;
    const reply = await requestWith(raw, 'plainhostile.plain', { headers: rawHeaders(headerBlock(101)) });
    assert.match(JSON.parse(reply.body).error, /101 header lines, more than the 100 allowed \(maxHeaderCount\)/);
    assert.equal(plainRuns, before);
  });

  it('a publish over the limits is dropped unhandled, counted and logged', async () => {
    const counters = countersOf(plain);
    const refused = counters.refusedHeaders;
    const dropped = counters.droppedPublishes;
    const before = plainRuns;
    raw.publish('plainhostile.plain', encoder.encode('{}'), { headers: rawHeaders(headerBlock(20_000)) });
    await raw.flush();
    await waitUntil(() => counters.refusedHeaders === refused + 1, { message: 'the publish was not refused' });
    assert.equal(counters.droppedPublishes, dropped + 1);
    // A request through the same subscription: once it is answered the publish was certainly handled (or not).
    assert.equal(JSON.parse((await requestWith(raw, 'plainhostile.header', {})).body).payload, null);
    assert.equal(plainRuns, before, 'the handler ran for the publish');
    assert.match(plainLog.text, /messages to plainhostile refused without reading their headers .*latest: \d+ bytes of headers, more than the 16384 allowed \(maxHeaderBytes\)/);
  });

  it('a request with a few headers reaches ctx.getHeader(), getArgs() and getArgByIndex(1), and msg.headers', async () => {
    const headers = rawHeaders(encoder.encode('NATS/1.0\r\nx-id: abc-123\r\nx-other: 1\r\n\r\n'));
    const nestReply = JSON.parse((await requestWith(raw, 'hostile.header', { headers })).body);
    assert.deepEqual(nestReply, { payload: { id: 'abc-123', byIndex: 'abc-123', args: ['hostile.header', 'hostile', 'header'], missing: null } });
    const plainReply = JSON.parse((await requestWith(raw, 'plainhostile.header', { headers })).body);
    assert.deepEqual(plainReply, { payload: 'abc-123' });
  });

  it('a Nest handler that never reads headers leaves them unparsed', async (t) => {
    // nats.js parses a message's headers on the first read of its `headers` getter: count those reads.
    const probe = await rawRequestMsg(raw);
    const prototype = Object.getPrototypeOf(probe) as object;
    const original = Object.getOwnPropertyDescriptor(prototype, 'headers');
    assert.ok(original?.get, 'nats.js messages have no headers getter');
    const parsedFor: string[] = [];
    Object.defineProperty(prototype, 'headers', {
      ...original,
      get(this: Msg) {
        parsedFor.push(this.subject);
        return original.get?.call(this);
      },
    });
    t.after(() => Object.defineProperty(prototype, 'headers', original));
    const headers = rawHeaders(encoder.encode('NATS/1.0\r\nx-id: lazy\r\n\r\n'));
    assert.deepEqual(JSON.parse((await requestWith(raw, 'hostile.plain', { headers })).body), { payload: 'ok' });
    assert.deepEqual(parsedFor.filter((s) => s === 'hostile.plain'), [], 'the headers of a request to a handler that never reads them were parsed');
    // The same spy sees a handler that does read them.
    assert.equal(JSON.parse((await requestWith(raw, 'hostile.header', { headers })).body).payload.id, 'lazy');
    assert.ok(parsedFor.includes('hostile.header'), 'the spy saw no read');
  });

  it('with limits raised to let 20,000 keys in, a Nest handler that never reads headers still answers at once', async () => {
    const probe = lagProbe();
    const reply = await requestWith(raw, 'roomy.plain', { headers: rawHeaders(headerBlock(20_000)), timeout: 15_000 });
    const lag = probe.stop();
    assert.deepEqual(JSON.parse(reply.body), { payload: 'ok' });
    assert.ok(reply.ms < 1_000, `answered after ${reply.ms.toFixed(0)} ms`);
    assert.ok(lag < 500, `the event loop stalled for ${lag.toFixed(0)} ms`);
  });
});

/** One message received by `nc`, for its prototype. */
async function rawRequestMsg(nc: NatsConnection): Promise<Msg> {
  const subject = createInbox();
  const got = new Promise<Msg>((resolve) => nc.subscribe(subject, { max: 1, callback: (_err, msg) => resolve(msg) }));
  await nc.flush();
  nc.publish(subject);
  return got;
}

describe('publishes past maxQueued', () => {
  let broker: NatsServerHandle;
  let raw: NatsConnection;

  before(async () => {
    broker = await startNatsServer();
    raw = await rawConnect(broker.url);
  });

  after(async () => {
    await raw?.close();
    await broker?.stop();
  });

  it('a flood of publishes at a slow service: every drop counted, logged in a bounded number of lines with the right totals', async () => {
    const log = new CapturingLogger();
    const service = new Picom('flooded', { servers: broker.url, logger: log, maxConcurrency: 1, maxQueued: 10, gracePeriod: 10_000 });
    let handled = 0;
    await service.expose({
      slow: async () => {
        handled++;
        await sleep(20);
      },
    });
    const counters = countersOf(service);
    const sent = 5_000;
    const started = performance.now();
    for (let i = 0; i < sent; i++) raw.publish('flooded.slow', encoder.encode(String(i)));
    await raw.flush();
    // Every message the server delivered before it is handled or dropped by the end of close().
    await service.close();
    const elapsed = performance.now() - started;
    assert.equal(handled + counters.droppedPublishes, sent, `${handled} handled, ${counters.droppedPublishes} dropped`);
    assert.ok(counters.droppedPublishes > sent / 2, `only ${counters.droppedPublishes} dropped`);
    const lines = numbersIn(log, /^Picom: (\d+) publishes to flooded dropped: 10 messages were already waiting for a handler slot \(maxQueued\); (\d+) dropped since start$/);
    assert.ok(lines.length >= 1, `no drop line in:\n${log.text}`);
    // One line at the first drop, at most one per 5 s after it, and one at close().
    assert.ok(lines.length <= 2 + Math.ceil(elapsed / 5_000), `${lines.length} lines in ${elapsed.toFixed(0)} ms`);
    assert.equal(lines.reduce((sum, [count]) => sum + (count ?? 0), 0), counters.droppedPublishes, 'the lines do not add up');
    assert.equal(lines.at(-1)?.[1], counters.droppedPublishes, 'the last total is not the count');
  });

  it('requests past maxQueued are still answered at once with the overload error', async () => {
    const service = new Picom('overloaded', { servers: broker.url, maxConcurrency: 1, maxQueued: 1 });
    await service.expose({ slow: () => sleep(300) });
    const caller = new Picom('overloader', { servers: broker.url, timeout: 5_000 });
    try {
      const calls = await Promise.all([1, 2, 3].map(() => outcome(caller.request('overloaded.slow'))));
      const refused = calls.filter((c) => !c.ok);
      assert.equal(refused.length, 1);
      assert.match(String(refused[0]?.error?.message), /Service overloaded is overloaded/);
      assert.ok((refused[0]?.ms ?? Infinity) < 250, `refused after ${refused[0]?.ms} ms`);
      assert.equal(countersOf(service).droppedPublishes, 0);
    } finally {
      await closeAll(caller, service);
    }
  });
});

describe('reply subjects too long for the control line', () => {
  // The caller's server allows long control lines; the service's has nats-server's default 4 KiB.
  // A reply subject the caller may send is then one the service may not publish to: nats-server
  // answers "maximum control line exceeded" and closes the SERVICE's connection.
  let callerNode: NatsServerHandle;
  let serviceNode: NatsServerHandle;
  let service: Picom;
  let caller: Picom;
  let raw: NatsConnection;
  const log = new CapturingLogger();
  const events: string[] = [];

  before(async () => {
    const [callerRoute, serviceRoute] = [await freePort(), await freePort()];
    const name = `long-reply-${process.pid}`;
    callerNode = await startNatsServer({
      config: 'max_control_line: 16384',
      cluster: { name, port: callerRoute, routes: [`127.0.0.1:${serviceRoute}`] },
    });
    serviceNode = await startNatsServer({ cluster: { name, port: serviceRoute, routes: [`127.0.0.1:${callerRoute}`] } });
    await waitUntil(async () => ((await serviceNode.monitor<{ num_routes: number }>('routez')).num_routes ?? 0) > 0, {
      message: 'the two nodes did not route',
    });
    service = new Picom('longreply', { servers: serviceNode.url, logger: log });
    service.on('disconnect', () => events.push('disconnect'));
    await service.expose({
      echo: (message) => message,
      slow: async (message: number) => {
        await sleep(message);
        return message;
      },
    });
    await waitForRemoteInterest(callerNode, 'longreply.>');
    caller = new Picom('longcaller', { servers: callerNode.url, timeout: 2_000 });
    raw = await rawConnect(callerNode.url);
  });

  after(async () => {
    await raw?.close();
    await closeAll(caller, service);
    await callerNode?.stop();
    await serviceNode?.stop();
  });

  it('a request with a 5,000-byte reply subject is dropped; the service stays connected and its other callers are served', async () => {
    const inFlight = Array.from({ length: 20 }, (_, i) => outcome(caller.request('longreply.slow', 200 + i)));
    await sleep(50);
    const hostileReply = `_INBOX.${'x'.repeat(5_000 - 7)}`;
    const hostile = outcome(requestWith(raw, 'longreply.echo', { body: '"boom"', reply: hostileReply, timeout: 1_000 }));
    const results = await Promise.all(inFlight);
    assert.deepEqual(
      results.map((r) => (r.ok ? r.value : String(r.error))),
      Array.from({ length: 20 }, (_, i) => 200 + i),
      'calls in flight failed',
    );
    assert.equal((await hostile).ok, false, 'the hostile request was answered');
    assert.deepEqual(events, [], 'the service lost its connection');
    assert.equal(countersOf(service).droppedReplies, 1);
    assert.match(log.text, /1 replies of longreply not sent: the latest reply subject was 5000 bytes, longer than the 1024 allowed \(MAX_REPLY_SUBJECT_BYTES\)/);
    assert.equal(await caller.request('longreply.echo', 'after'), 'after');
  });

  it('a reply subject within the bound (1,000 bytes) is answered as usual', async () => {
    const reply = `_INBOX.${'y'.repeat(1_000 - 7)}`;
    const answer = await requestWith(raw, 'longreply.echo', { body: '"fine"', reply });
    assert.deepEqual(JSON.parse(answer.body), { payload: 'fine' });
  });
});
