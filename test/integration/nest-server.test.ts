import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException, Transport } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { defer, delay, EMPTY, from, of, throwError } from 'rxjs';
import { Picom, PicomError, PicomRemoteError } from 'picom';
import { PICOM_TRANSPORT, PicomContext } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, createNestService, type NestService } from '../fixtures/nest-app.fixture.js';
import { collectReplies, rawConnect, rawRequest, sleep, spyAll } from '../fixtures/raw-nats.fixture.js';

/** What the handlers saw, for the tests to inspect. */
const seen = {
  recorded: [] as unknown[],
  eventDoneAt: 0,
  eventCalls: 0,
  publishCalls: 0,
};

@Controller()
class CalcController {
  @MessagePattern('add')
  add(@Payload() data: { a: number; b: number }) {
    return data.a + data.b;
  }

  @MessagePattern('echo')
  echo(@Payload() data: unknown) {
    return { got: data };
  }

  @MessagePattern('nothing')
  nothing(): undefined {
    return undefined;
  }

  @MessagePattern('nullValue')
  nullValue() {
    return null;
  }

  @MessagePattern('later')
  async later(@Payload() data: { value: unknown }) {
    await sleep(30);
    return data.value;
  }

  @MessagePattern('stream')
  stream() {
    return from([1, 2, 3]).pipe(delay(10));
  }

  @MessagePattern('deferredStream')
  deferredStream() {
    return defer(() => of('a', 'b', 'last'));
  }

  @MessagePattern('emptyStream')
  emptyStream() {
    return EMPTY;
  }

  @MessagePattern('picomOnly', PICOM_TRANSPORT)
  picomOnly() {
    return 'bound to Picom';
  }

  @MessagePattern('tcpOnly', Transport.TCP)
  tcpOnly() {
    return 'bound to TCP';
  }

  @MessagePattern('promiseOfObservable')
  async promiseOfObservable() {
    return of('x', 'y');
  }

  @MessagePattern('rpcText')
  rpcText() {
    throw new RpcException('Not enough credit');
  }

  @MessagePattern('rpcObject')
  rpcObject() {
    throw new RpcException({ message: 'Account locked', code: 'E_LOCKED', details: { retryIn: 30 } });
  }

  @MessagePattern('rpcAsync')
  async rpcAsync() {
    await sleep(5);
    throw new RpcException({ message: 'Too late', code: 'E_LATE' });
  }

  @MessagePattern('rpcStream')
  rpcStream() {
    return throwError(() => new RpcException('stream failed'));
  }

  @MessagePattern('boom')
  boom() {
    const err = new Error('SECRET db password is hunter2');
    (err as Error & { internal: string }).internal = 'stack-and-secrets';
    throw err;
  }

  @MessagePattern('boomAsync')
  async boomAsync() {
    throw new TypeError('SECRET cannot read properties of undefined');
  }

  @MessagePattern('record')
  record(@Payload() data: unknown) {
    seen.publishCalls++;
    seen.recorded.push(data);
    return { recorded: data };
  }

  @MessagePattern('recordThenFail')
  recordThenFail(@Payload() data: unknown) {
    seen.publishCalls++;
    seen.recorded.push(data);
    throw new RpcException('nobody hears this');
  }

  @EventPattern<string>('slowEvent')
  async slowEvent(@Payload() data: unknown) {
    seen.eventCalls++;
    await sleep(200);
    seen.recorded.push({ event: data });
    seen.eventDoneAt = Date.now();
    return 'ignored value';
  }

  @EventPattern<string>('failingEvent')
  async failingEvent() {
    await sleep(5);
    throw new RpcException('event failed');
  }

  @MessagePattern('ctx')
  ctx(@Payload() _data: unknown, @Ctx() context: PicomContext) {
    return {
      subject: context.getSubject(),
      service: context.getService(),
      method: context.getMethod(),
      trace: context.getHeader('x-trace-id') ?? null,
      multi: context.getHeaders()?.values('x-multi') ?? null,
      missing: context.getHeader('x-missing') ?? null,
    };
  }

  @EventPattern<string>('ctxEvent')
  ctxEvent(@Payload() _data: unknown, @Ctx() context: PicomContext) {
    seen.recorded.push({ ctxEvent: context.getMethod(), subject: context.getSubject(), trace: context.getHeader('x-trace-id') });
  }
}

describe('Nest server (PicomServer) with a plain Picom caller and raw nats.js', () => {
  let nats: NatsServerHandle;
  let service: NestService;
  let raw: NatsConnection;
  let caller: Picom;

  before(async () => {
    nats = await startNatsServer();
    service = await createNestService({ controllers: [CalcController] }, { service: 'calc', servers: [nats.url] });
    raw = await rawConnect(nats.url);
    caller = new Picom('caller', { servers: [nats.url], timeout: 3_000 });
  });

  after(async () => {
    await closeAll(caller, service);
    await raw?.close();
    await nats?.stop();
  });

  describe('subscription', () => {
    it('subscribes calc.> in queue group calc', async () => {
      const subsz = await nats.monitor<{ subscriptions_list?: { subject: string; qgroup?: string }[] }>('subsz?subs=1');
      const subs = subsz.subscriptions_list ?? [];
      const wildcard = subs.filter((s) => s.subject === 'calc.>');
      assert.equal(wildcard.length, 1, `subscriptions: ${JSON.stringify(subs)}`);
      assert.equal(wildcard[0]?.qgroup, 'calc');
      // One subscription for the whole service, not one per pattern.
      assert.equal(subs.filter((s) => s.subject.startsWith('calc.') && s.subject !== 'calc.>').length, 0);
    });

    it('serves patterns bound to PICOM_TRANSPORT, not those bound to another transport', async () => {
      assert.equal(await rawRequest(raw, 'calc.picomOnly', '{}'), '{"payload":"bound to Picom"}');
      assert.equal(await rawRequest(raw, 'calc.tcpOnly', '{}'), '{"error":"Method not found \\"tcpOnly\\""}');
    });

    it('serves the service it names and no other: each server answers its own prefix, a name nobody serves has no responders', async (t) => {
      const abacus = await createNestService({ controllers: [CalcController] }, { service: 'abacus', servers: [nats.url] });
      t.after(() => abacus.close());
      const ctx = (service: string) =>
        JSON.stringify({ payload: { subject: `${service}.ctx`, service, method: 'ctx', trace: null, multi: null, missing: null } });
      // The same controller behind two names: each request is answered once, by the server of the name it carries.
      assert.deepEqual(await collectReplies(raw, 'abacus.ctx', '{}'), [ctx('abacus')]);
      assert.deepEqual(await collectReplies(raw, 'calc.ctx', '{}'), [ctx('calc')]);
      // Not "Method not found" from a server listening too widely: nobody listens.
      await assert.rejects(rawRequest(raw, 'other.add', '{"a":1,"b":2}', 1_000), /no responders/);
    });

    it('routes by the method token: @MessagePattern("add") answers calc.add', async () => {
      assert.equal(await rawRequest(raw, 'calc.add', '{"a":2,"b":5}'), '{"payload":7}');
      assert.equal(await caller.request('calc.add', { a: 2, b: 5 }), 7);
    });
  });

  describe('reply envelopes (raw bytes)', () => {
    it('a value → {"payload":v}', async () => {
      assert.equal(await rawRequest(raw, 'calc.echo', '{"x":[1,"two",null]}'), '{"payload":{"got":{"x":[1,"two",null]}}}');
      assert.equal(await rawRequest(raw, 'calc.nullValue', ''), '{"payload":null}');
    });

    it('an empty request body reaches the handler as null', async () => {
      assert.equal(await rawRequest(raw, 'calc.echo', ''), '{"payload":{"got":null}}');
      assert.deepEqual(await caller.request('calc.echo'), { got: null });
    });

    it('undefined → {}', async () => {
      assert.equal(await rawRequest(raw, 'calc.nothing', '{}'), '{}');
      assert.equal(await caller.request('calc.nothing', {}), undefined);
    });

    it('unknown method → Method not found "<m>"', async () => {
      assert.equal(await rawRequest(raw, 'calc.nope', '{}'), '{"error":"Method not found \\"nope\\""}');
      await assert.rejects(caller.request('calc.nope', {}), (err: Error) => {
        assert.ok(err instanceof Error);
        assert.equal(err.message, 'Method not found "nope"');
        return true;
      });
    });

    it('a subject with more tokens names a method no handler has', async () => {
      assert.equal(await rawRequest(raw, 'calc.add.extra', '{"a":1,"b":1}'), '{"error":"Method not found \\"add.extra\\""}');
    });

    it('a body that is not JSON → Bad JSON request', async () => {
      assert.equal(await rawRequest(raw, 'calc.add', 'not json {'), '{"error":"Bad JSON request"}');
      assert.equal(await rawRequest(raw, 'calc.add', new Uint8Array([0xff, 0xfe, 0x7b])), '{"error":"Bad JSON request"}');
    });

    it('RpcException("msg") → {"error":"msg"}', async () => {
      assert.equal(await rawRequest(raw, 'calc.rpcText', '{}'), '{"error":"Not enough credit"}');
      assert.equal(await rawRequest(raw, 'calc.rpcStream', '{}'), '{"error":"stream failed"}');
    });

    it('RpcException({ message, ...extra }) → the message as error text, the extra fields beside it', async () => {
      assert.equal(
        await rawRequest(raw, 'calc.rpcObject', '{}'),
        '{"error":"Account locked","code":"E_LOCKED","details":{"retryIn":30}}',
      );
      assert.equal(await rawRequest(raw, 'calc.rpcAsync', '{}'), '{"error":"Too late","code":"E_LATE"}');
    });

    it('any other exception → Internal server error, internals never leak', async () => {
      for (const method of ['boom', 'boomAsync']) {
        const body = await rawRequest(raw, `calc.${method}`, '{}');
        assert.equal(body, '{"error":"Internal server error"}', method);
        assert.doesNotMatch(body, /SECRET|hunter2|stack/);
      }
    });
  });

  describe('one reply per request', () => {
    it('a Promise handler replies once, with the resolved value', async () => {
      const replies = await collectReplies(raw, 'calc.later', '{"value":"done"}');
      assert.deepEqual(replies, ['{"payload":"done"}']);
    });

    it('an Observable handler replies once, with the last emitted value', async () => {
      assert.deepEqual(await collectReplies(raw, 'calc.stream', '{}'), ['{"payload":3}']);
      assert.deepEqual(await collectReplies(raw, 'calc.deferredStream', '{}'), ['{"payload":"last"}']);
      assert.deepEqual(await collectReplies(raw, 'calc.promiseOfObservable', '{}'), ['{"payload":"y"}']);
      assert.equal(await caller.request('calc.stream', {}), 3);
    });

    it('an Observable that completes without a value replies {} once', async () => {
      assert.deepEqual(await collectReplies(raw, 'calc.emptyStream', '{}'), ['{}']);
    });

    it('a synchronous handler and an error reply once too', async () => {
      assert.deepEqual(await collectReplies(raw, 'calc.add', '{"a":1,"b":2}'), ['{"payload":3}']);
      assert.deepEqual(await collectReplies(raw, 'calc.rpcObject', '{}'), [
        '{"error":"Account locked","code":"E_LOCKED","details":{"retryIn":30}}',
      ]);
    });
  });

  describe('events and publishes', () => {
    it('a request to an @EventPattern handler is answered {} after the handler finished', async () => {
      seen.eventDoneAt = 0;
      const before = seen.eventCalls;
      const started = Date.now();
      const body = await rawRequest(raw, 'calc.slowEvent', '{"n":1}');
      const answeredAt = Date.now();
      assert.equal(body, '{}');
      assert.equal(seen.eventCalls, before + 1);
      assert.ok(seen.eventDoneAt > 0, 'the handler had not finished when the reply arrived');
      assert.ok(seen.eventDoneAt <= answeredAt, 'answered before the handler finished');
      assert.ok(answeredAt - started >= 180, `answered after ${answeredAt - started} ms, the handler takes 200 ms`);
      assert.deepEqual(seen.recorded.at(-1), { event: { n: 1 } });
    });

    it('a request to a failing @EventPattern handler is answered with the error envelope', async () => {
      assert.equal(await rawRequest(raw, 'calc.failingEvent', '{}'), '{"error":"event failed"}');
    });

    it('a publish to an @EventPattern handler runs it with the context', async () => {
      await caller.publish('calc.ctxEvent', { e: 1 }, { headers: { 'x-trace-id': 'ev-7' } });
      const entry = await waitUntil(() => seen.recorded.find((r) => (r as { ctxEvent?: string }).ctxEvent));
      assert.deepEqual(entry, { ctxEvent: 'ctxEvent', subject: 'calc.ctxEvent', trace: 'ev-7' });
    });

    it('a publish (no reply subject) to a @MessagePattern handler runs it and answers nothing', async () => {
      const spyConn = await rawConnect(nats.url);
      try {
        const spy = await spyAll(spyConn);
        const calls = seen.publishCalls;
        raw.publish('calc.record', new TextEncoder().encode('{"p":1}'));
        raw.publish('calc.recordThenFail', new TextEncoder().encode('{"p":2}'));
        await raw.flush();
        await waitUntil(() => seen.publishCalls === calls + 2, { message: 'publishes did not run their handlers' });
        await sleep(300);
        spy.stop();
        const others = spy.seen.filter((m) => m.subject !== 'calc.record' && m.subject !== 'calc.recordThenFail');
        assert.deepEqual(others, [], 'the server sent something for a publish');
        assert.deepEqual(seen.recorded.slice(-2), [{ p: 1 }, { p: 2 }]);
      } finally {
        await spyConn.close();
      }
      // And it still serves requests.
      assert.equal(await caller.request('calc.add', { a: 1, b: 1 }), 2);
    });
  });

  describe('errors at the plain Picom caller', () => {
    it('RpcException("msg") arrives as an Error whose message is the text', async () => {
      await assert.rejects(caller.request('calc.rpcText', {}), (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.ok(err instanceof PicomError);
        assert.equal(err.message, 'Not enough credit');
        return true;
      });
    });

    it('RpcException({ message, code }) arrives with the extra fields as own properties', async () => {
      await assert.rejects(caller.request('calc.rpcObject', {}), (err: unknown) => {
        assert.ok(err instanceof PicomRemoteError);
        assert.equal(err.message, 'Account locked');
        const e = err as PicomRemoteError & { code?: unknown; details?: unknown };
        assert.ok(Object.hasOwn(e, 'code'));
        assert.equal(e.code, 'E_LOCKED');
        assert.deepEqual(e.details, { retryIn: 30 });
        return true;
      });
    });

    it('an unknown exception arrives as Internal server error', async () => {
      await assert.rejects(caller.request('calc.boom', {}), { message: 'Internal server error' });
    });
  });

  describe('PicomContext', () => {
    it('gives the subject, service, method and headers', async () => {
      const result = await caller.request('calc.ctx', { any: 1 }, { headers: { 'x-trace-id': 'abc-123', 'x-multi': ['1', '2'] } });
      assert.deepEqual(result, {
        subject: 'calc.ctx',
        service: 'calc',
        method: 'ctx',
        trace: 'abc-123',
        multi: ['1', '2'],
        missing: null,
      });
    });

    it('a caller without headers (an old peer) gives no headers', async () => {
      const body = await rawRequest(raw, 'calc.ctx', '{}');
      assert.deepEqual(JSON.parse(body), {
        payload: { subject: 'calc.ctx', service: 'calc', method: 'ctx', trace: null, multi: null, missing: null },
      });
    });
  });
});

describe('PicomServer refuses patterns that are not one NATS token', () => {
  let nats: NatsServerHandle;

  before(async () => {
    nats = await startNatsServer();
  });

  after(async () => {
    await nats?.stop();
  });

  const bad: [string, unknown, RegExp][] = [
    ['a dot', 'math.add', /math\.add/],
    ['a star', 'add*', /add\*/],
    ['a lone star', '*', /"\*"/],
    ['a greater-than', 'add>', /add>/],
    ['a space', 'add numbers', /add numbers/],
    ['an object', { cmd: 'add' }, /cmd/],
  ];

  for (const [what, pattern, naming] of bad) {
    it(`refuses a pattern with ${what} at listen(), naming it`, async (t) => {
      @Controller()
      class BadController {
        @MessagePattern(pattern as string)
        handle() {
          return 1;
        }
      }
      const svc = await createNestService({ controllers: [BadController] }, { service: 'badpatterns', servers: [nats.url] }, { listen: false });
      t.after(() => svc.close());
      await assert.rejects(svc.app.listen(), (err: unknown) => {
        assert.ok(err instanceof Error, `not an Error: ${String(err)}`);
        assert.match(err.message, naming);
        assert.match(err.message, /pattern/i);
        return true;
      });
      // Nothing subscribed for the service.
      const subsz = await nats.monitor<{ subscriptions_list?: { subject: string }[] }>('subsz?subs=1');
      assert.ok(!(subsz.subscriptions_list ?? []).some((s) => s.subject.startsWith('badpatterns.')));
    });
  }

  it('refuses an invalid @EventPattern too', async (t) => {
    @Controller()
    class BadEventController {
      @EventPattern<string>('user.created')
      handle() {}
    }
    const svc = await createNestService({ controllers: [BadEventController] }, { service: 'badevents', servers: [nats.url] }, { listen: false });
    t.after(() => svc.close());
    await assert.rejects(svc.app.listen(), /user\.created/);
  });
});
