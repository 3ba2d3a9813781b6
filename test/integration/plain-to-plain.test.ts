import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { Picom, PicomError, PicomRemoteError, PicomReplyError } from 'picom';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { collectReplies, header, rawConnect, rawRequest, sleep, spyAll } from '../fixtures/raw-nats.fixture.js';

class FieldError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

describe('plain Picom service with a plain Picom caller', () => {
  let nats: NatsServerHandle;
  let service: Picom;
  let caller: Picom;
  let raw: NatsConnection;
  const published: unknown[] = [];

  before(async () => {
    nats = await startNatsServer();
    service = new Picom('plain', { servers: [nats.url] });
    await service.expose({
      add: (msg: { a: number; b: number }) => msg.a + msg.b,
      addAsync: async (msg: { a: number; b: number }) => {
        await sleep(20);
        return { result: msg.a + msg.b };
      },
      echo: (msg: unknown) => ({ got: msg }),
      nothing: () => undefined,
      rejectString: async () => {
        throw 'plain text failure';
      },
      rejectError: async () => {
        throw new Error('it broke');
      },
      rejectErrorWithFields: async () => {
        throw new FieldError('it broke', 'E_BROKE');
      },
      rejectObject: async () => {
        throw { reason: 'object', n: 1 };
      },
      replyWithFields: async () => {
        throw new PicomReplyError('b must be a number', { code: 'INVALID_ARGUMENT', field: 'b' });
      },
      throwSync: () => {
        throw new Error('sync failure');
      },
      headers: (_msg: unknown, raw: Msg) => ({ trace: header(raw, 'x-trace-id'), subject: raw.subject }),
      record: (msg: unknown) => {
        published.push(msg);
        return 'recorded';
      },
      recordThenFail: (msg: unknown) => {
        published.push(msg);
        throw new Error('nobody hears this');
      },
    });
    // A second service that forwards to the first (a chain of plain services).
    caller = new Picom('plaincaller', { servers: nats.url, timeout: 3_000 });
    await caller.expose({
      forward: (msg: { subject: string; data: unknown }) => caller.request(msg.subject, msg.data),
    });
    raw = await rawConnect(nats.url);
  });

  after(async () => {
    await caller?.close();
    await service?.close();
    await raw?.close();
    await nats?.stop();
  });

  it('subscribes plain.> in queue group plain, once for all methods', async () => {
    const subsz = await nats.monitor<{ subscriptions_list?: { subject: string; qgroup?: string }[] }>('subsz?subs=1');
    const subs = (subsz.subscriptions_list ?? []).filter((s) => s.subject.startsWith('plain.'));
    assert.deepEqual(subs.map((s) => [s.subject, s.qgroup]), [['plain.>', 'plain']]);
  });

  it('expose() called again adds methods to the same subscription', async () => {
    await service.expose({ later: () => 'added later' });
    assert.equal(await caller.request('plain.later', {}), 'added later');
    const subsz = await nats.monitor<{ subscriptions_list?: { subject: string }[] }>('subsz?subs=1');
    assert.equal((subsz.subscriptions_list ?? []).filter((s) => s.subject.startsWith('plain.')).length, 1);
  });

  it('concurrent first calls share one connection', async (t) => {
    const fresh = new Picom('fresh', { servers: nats.url, timeout: 3_000 });
    t.after(() => fresh.close());
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fresh.request('plain.add', { a: i, b: 0 })));
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i));
    const connz = await nats.monitor<{ connections?: { name?: string }[] }>('connz');
    assert.equal((connz.connections ?? []).filter((c) => c.name === 'picom:fresh').length, 1);
  });

  it('answers requests with the payload', async () => {
    assert.equal(await caller.request('plain.add', { a: 2, b: 5 }), 7);
    assert.deepEqual(await caller.request('plain.addAsync', { a: 2, b: 5 }), { result: 7 });
    assert.deepEqual(await caller.request('plain.echo'), { got: null });
    assert.equal(await caller.request('plain.nothing', {}), undefined);
  });

  it('replies the legacy envelopes byte for byte', async () => {
    assert.equal(await rawRequest(raw, 'plain.add', '{"a":2,"b":5}'), '{"payload":7}');
    assert.equal(await rawRequest(raw, 'plain.nothing', ''), '{}');
    assert.equal(await rawRequest(raw, 'plain.echo', ''), '{"payload":{"got":null}}');
    assert.equal(await rawRequest(raw, 'plain.missing', '{}'), '{"error":"Method not found \\"missing\\""}');
    assert.equal(await rawRequest(raw, 'plain.add', '{oops'), '{"error":"Bad JSON request"}');
    assert.equal(await rawRequest(raw, 'plain.rejectString', '{}'), '{"error":"plain text failure"}');
    assert.equal(await rawRequest(raw, 'plain.rejectError', '{}'), '{"error":"it broke"}');
    assert.equal(await rawRequest(raw, 'plain.rejectErrorWithFields', '{}'), '{"error":"it broke {\\"code\\":\\"E_BROKE\\"}"}');
    assert.equal(await rawRequest(raw, 'plain.rejectObject', '{}'), '{"error":"{\\"reason\\":\\"object\\",\\"n\\":1}"}');
    assert.equal(await rawRequest(raw, 'plain.throwSync', '{}'), '{"error":"sync failure"}');
  });

  it('answers each request exactly once', async () => {
    assert.deepEqual(await collectReplies(raw, 'plain.addAsync', '{"a":1,"b":1}'), ['{"payload":{"result":2}}']);
    assert.deepEqual(await collectReplies(raw, 'plain.rejectError', '{}'), ['{"error":"it broke"}']);
  });

  it('failures arrive at the caller as Errors with the legacy text', async () => {
    await assert.rejects(caller.request('plain.rejectString', {}), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.ok(err instanceof PicomRemoteError);
      assert.equal(err.message, 'plain text failure');
      return true;
    });
    await assert.rejects(caller.request('plain.rejectErrorWithFields', {}), { message: 'it broke {"code":"E_BROKE"}' });
    await assert.rejects(caller.request('plain.missing', {}), { message: 'Method not found "missing"' });
  });

  it('PicomReplyError(text, fields) replies the fields beside the text; the caller gets them as own properties', async () => {
    assert.equal(
      await rawRequest(raw, 'plain.replyWithFields', '{}'),
      '{"error":"b must be a number","code":"INVALID_ARGUMENT","field":"b"}',
    );
    await assert.rejects(caller.request('plain.replyWithFields', {}), (err: unknown) => {
      assert.ok(err instanceof PicomRemoteError);
      assert.equal(err.message, 'b must be a number');
      const e = err as PicomRemoteError & { code?: string; field?: string };
      assert.ok(Object.hasOwn(e, 'code'));
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.equal(e.field, 'b');
      return true;
    });
  });

  it('a handler rethrowing a downstream failure forwards its text and fields', async () => {
    // A downstream service answering with extra fields (raw), called through plaincaller.forward.
    const sub = raw.subscribe('fields.fail', {
      queue: 'fields',
      callback: (_e, msg) => void msg.respond(new TextEncoder().encode('{"error":"Denied","code":"E_DENIED"}')),
    });
    await raw.flush();
    try {
      assert.equal(
        await rawRequest(raw, 'plaincaller.forward', JSON.stringify({ subject: 'fields.fail', data: {} })),
        '{"error":"Denied","code":"E_DENIED"}',
      );
      await assert.rejects(caller.request('plaincaller.forward', { subject: 'fields.fail', data: {} }), (err: unknown) => {
        assert.ok(err instanceof PicomRemoteError);
        assert.equal(err.message, 'Denied');
        assert.equal((err as PicomRemoteError & { code?: string }).code, 'E_DENIED');
        return true;
      });
    } finally {
      sub.unsubscribe();
    }
  });

  it('a chain of plain services passes payloads through', async () => {
    assert.equal(await caller.request('plaincaller.forward', { subject: 'plain.add', data: { a: 20, b: 22 } }), 42);
  });

  it('request headers reach the handler', async () => {
    assert.deepEqual(await caller.request('plain.headers', {}, { headers: { 'x-trace-id': 'p-1' } }), {
      trace: 'p-1',
      subject: 'plain.headers',
    });
  });

  it('a publish runs the handler and answers nothing, not even an error', async () => {
    const spyConn = await rawConnect(nats.url);
    try {
      const spy = await spyAll(spyConn);
      const before = published.length;
      await caller.publish('plain.record', { p: 1 });
      await caller.publish('plain.recordThenFail', { p: 2 });
      await waitUntil(() => published.length === before + 2, { message: 'publishes did not reach their handlers' });
      await sleep(300);
      spy.stop();
      const sent = spy.seen.filter((m) => m.subject !== 'plain.record' && m.subject !== 'plain.recordThenFail');
      assert.deepEqual(sent, []);
      // A publish has no reply subject on the wire.
      assert.deepEqual(published.slice(-2), [{ p: 1 }, { p: 2 }]);
    } finally {
      await spyConn.close();
    }
  });

  it('refuses a method name that is not one NATS token, naming it', async () => {
    for (const name of ['a.b', 'a*', '>', 'a b', '']) {
      await assert.rejects(service.expose({ [name]: () => 1 }), (err: unknown) => {
        assert.ok(err instanceof PicomError);
        assert.ok(err.message.includes(JSON.stringify(name)), err.message);
        return true;
      });
    }
  });

  it('refuses a subject that is not <service>.<method> before sending', async () => {
    for (const subject of ['plain', 'plain.a.b', 'plain.*', 'a .b']) {
      await assert.rejects(caller.request(subject, {}), (err: unknown) => {
        assert.ok(err instanceof PicomError);
        assert.ok(err.message.includes(subject), err.message);
        return true;
      });
    }
  });
});
