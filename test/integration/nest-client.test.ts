import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Msg } from '@nats-io/transport-node';
import { ClientProxy, type WritePacket } from '@nestjs/microservices';
import { config, firstValueFrom, lastValueFrom, toArray, type Observer } from 'rxjs';
import { Picom, PicomError, PicomRemoteError, PicomReplyError } from 'picom';
import { PicomClient, PicomRecord, PicomRecordBuilder } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { NEST_LACKS } from '../fixtures/nest-features.fixture.js';
import { deferred, header, sleep } from '../fixtures/raw-nats.fixture.js';

/** A client whose `createObserver` is its own: `send()` then goes through `publish()` and its teardown. */
class ObservingClient extends PicomClient {
  protected override createObserver<T>(observer: Observer<T>): (packet: WritePacket) => void {
    return super.createObserver(observer);
  }
}

/** Both ways a `send()` subscription reaches the requester, each with its own cancel on unsubscribe. */
const unsubscribeCases: [string, (url: string) => PicomClient][] = [
  ['send()', (url) => new PicomClient({ servers: [url], timeout: 3_000 })],
  ['send() through publish()', (url) => new ObservingClient({ servers: [url], timeout: 3_000 })],
];

describe('plain Picom service with a Nest PicomClient', () => {
  let nats: NatsServerHandle;
  let service: Picom;
  let client: PicomClient;
  const events: { data: unknown; trace: string | null; reply: string | undefined }[] = [];
  const release = deferred();

  before(async () => {
    nats = await startNatsServer();
    service = new Picom('math', { servers: [nats.url], gracePeriod: 200 });
    await service.expose({
      add: (msg: { a: number; b: number }) => ({ result: msg.a + msg.b }),
      nothing: () => undefined,
      fail: async () => {
        throw new Error('math failed');
      },
      failWithCode: async () => {
        throw new PicomReplyError('Division by zero', { code: 'E_DIV_ZERO' });
      },
      headers: (_msg: unknown, raw: Msg) => ({
        trace: header(raw, 'x-trace-id'),
        tenant: header(raw, 'x-tenant'),
        values: raw.headers?.values('x-multi') ?? [],
      }),
      slow: async () => {
        await release.promise;
        return 'slow';
      },
      delayed: async (msg: { ms: number }) => {
        await sleep(msg.ms);
        return msg.ms;
      },
      event: (msg: unknown, raw: Msg) => {
        events.push({ data: msg, trace: header(raw, 'x-trace-id'), reply: raw.reply || undefined });
        return 'ignored';
      },
    });
    client = new PicomClient({ servers: [nats.url], timeout: 3_000 });
  });

  after(async () => {
    release.resolve();
    await client?.close();
    await service?.close();
    await nats?.stop();
  });

  it('is a Nest ClientProxy', () => {
    assert.ok(client instanceof ClientProxy);
  });

  it('send() emits the payload once and completes', async () => {
    const values = await lastValueFrom(client.send('math.add', { a: 2, b: 5 }).pipe(toArray()));
    assert.deepEqual(values, [{ result: 7 }]);
  });

  it('send() completes without a value when the payload is undefined', async () => {
    const values = await lastValueFrom(client.send('math.nothing', {}).pipe(toArray()));
    assert.deepEqual(values, []);
  });

  it('send() is cold: nothing is sent until subscribed, and each subscription calls again', async () => {
    const calls: number[] = [];
    const obs = client.send('math.delayed', { ms: 1 });
    calls.push(await firstValueFrom(obs));
    calls.push(await firstValueFrom(obs));
    assert.deepEqual(calls, [1, 1]);
  });

  it('errors are Errors with the envelope text', async () => {
    await assert.rejects(firstValueFrom(client.send('math.fail', {})), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.ok(err instanceof PicomRemoteError);
      assert.equal(err.message, 'math failed');
      return true;
    });
    await assert.rejects(firstValueFrom(client.send('math.missing', {})), { message: 'Method not found "missing"' });
  });

  it('envelope fields beside the error text become own properties of the error', async () => {
    await assert.rejects(firstValueFrom(client.send('math.failWithCode', {})), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.message, 'Division by zero');
      assert.ok(Object.hasOwn(err, 'code'));
      assert.equal((err as Error & { code?: string }).code, 'E_DIV_ZERO');
      return true;
    });
  });

  it('PicomRecordBuilder headers reach the handler', async () => {
    const record = new PicomRecordBuilder({ any: true }).setHeaders({ 'x-trace-id': 'rb-1', 'x-multi': ['a', 'b'] }).build();
    assert.ok(record instanceof PicomRecord);
    assert.deepEqual(await firstValueFrom(client.send('math.headers', record)), { trace: 'rb-1', tenant: null, values: ['a', 'b'] });
  });

  it('PicomRecordBuilder data is sent as the message, not the record', async () => {
    assert.deepEqual(await firstValueFrom(client.send('math.add', new PicomRecordBuilder({ a: 1, b: 2 }).build())), { result: 3 });
  });

  it('a per-call timeout from PicomRecordBuilder overrides the client default', async () => {
    const started = performance.now();
    const record = new PicomRecordBuilder({ ms: 2_000 }).setTimeout(300).build();
    await assert.rejects(firstValueFrom(client.send('math.delayed', record)), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.message, 'Request math.delayed timed out');
      return true;
    });
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 280 && elapsed < 1_500, `timed out after ${elapsed.toFixed(0)} ms (per-call 300, default 3000)`);
  });

  it('packet metadata from a dispatch hook arrives as headers', { skip: NEST_LACKS.dispatchHook }, async (t) => {
    const hooked = new PicomClient({ servers: [nats.url], timeout: 3_000 });
    t.after(() => hooked.close());
    hooked.setOnDispatchHook((packet) => {
      packet.metadata = { 'x-trace-id': 'hook-9', 'x-tenant': 'acme' };
    });
    assert.deepEqual(await firstValueFrom(hooked.send('math.headers', {})), { trace: 'hook-9', tenant: 'acme', values: [] });
    // Record headers win over metadata for the same key; both travel.
    const record = new PicomRecordBuilder({}).setHeaders({ 'x-trace-id': 'record-wins' }).build();
    assert.deepEqual(await firstValueFrom(hooked.send('math.headers', record)), { trace: 'record-wins', tenant: 'acme', values: [] });
    // Events carry the metadata too.
    const before = events.length;
    await lastValueFrom(hooked.emit('math.event', { e: 'hooked' }), { defaultValue: undefined });
    await waitUntil(() => events.length > before);
    assert.deepEqual(events.at(-1), { data: { e: 'hooked' }, trace: 'hook-9', reply: undefined });
  });

  it('emit() publishes without a reply subject and the handler runs', async () => {
    const before = events.length;
    await lastValueFrom(client.emit('math.event', { n: 1 }), { defaultValue: undefined });
    await waitUntil(() => events.length > before, { message: 'the event did not arrive' });
    assert.deepEqual(events.at(-1), { data: { n: 1 }, trace: null, reply: undefined });
  });

  it('emit() with a PicomRecord sends its data and headers', async () => {
    const before = events.length;
    await lastValueFrom(client.emit('math.event', new PicomRecordBuilder({ n: 2 }).setHeaders({ 'x-trace-id': 'ev' }).build()), {
      defaultValue: undefined,
    });
    await waitUntil(() => events.length > before);
    assert.deepEqual(events.at(-1), { data: { n: 2 }, trace: 'ev', reply: undefined });
  });

  it('fails at once when nobody serves the subject', async () => {
    const started = performance.now();
    await assert.rejects(firstValueFrom(client.send('nobody.there', {})), (err: unknown) => {
      assert.ok(err instanceof PicomError);
      assert.match(err.message, /nobody\.there/);
      return true;
    });
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 750, `took ${elapsed.toFixed(0)} ms with a 3000 ms timeout`);
  });

  for (const [kind, makeClient] of unsubscribeCases) {
    it(`unsubscribing drops the call; a late reply is ignored and the client keeps working (${kind})`, async (t) => {
      const caller = makeClient(nats.url);
      t.after(() => caller.close());
      // Connected first, so that subscribing publishes at once and unsubscribing cancels a call in flight.
      await caller.connect();
      // A Subscriber that has unsubscribed swallows whatever still reaches it;
      // rxjs reports each such notification here. It is the one witness that
      // the client still held the call and delivered to it.
      const stopped: { kind: string; subscriber: unknown }[] = [];
      const previous = config.onStoppedNotification;
      config.onStoppedNotification = (notification, subscriber) => void stopped.push({ kind: notification.kind, subscriber });
      t.after(() => {
        config.onStoppedNotification = previous;
      });
      const seen: string[] = [];
      const observer = {
        next: (value: unknown) => void seen.push(`next ${JSON.stringify(value)}`),
        error: (err: unknown) => void seen.push(`error ${(err as Error).message}`),
        complete: () => void seen.push('complete'),
      };
      // Answered 150 ms after the unsubscribe, within the 3 s timeout.
      const lateReply = caller.send('math.delayed', { ms: 150 }).subscribe(observer);
      // Never answered; its 200 ms timeout falls after the unsubscribe.
      const timesOut = caller.send('math.slow', new PicomRecordBuilder({}).setTimeout(200).build()).subscribe(observer);
      await sleep(20);
      lateReply.unsubscribe();
      timesOut.unsubscribe();
      // Past the late reply and the timeout, and a few timer resolutions more.
      await sleep(400);
      const ours = stopped.filter((s) => s.subscriber === lateReply || s.subscriber === timesOut);
      assert.deepEqual(
        ours.map((s) => `${s.subscriber === lateReply ? 'late reply' : 'timeout'}: ${s.kind}`),
        [],
        'notifications delivered after unsubscribe (N = value, E = error, C = complete)',
      );
      assert.deepEqual(seen, []);
      assert.deepEqual(await firstValueFrom(caller.send('math.add', { a: 1, b: 1 })), { result: 2 });
    });
  }

  it('concurrent first sends share one connection', async (t) => {
    const fresh = new PicomClient({ servers: [nats.url], timeout: 3_000, name: 'fresh-client' });
    t.after(() => fresh.close());
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => firstValueFrom(fresh.send('math.add', { a: i, b: 0 }))));
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => ({ result: i })));
    const connz = await nats.monitor<{ connections?: { name?: string }[] }>('connz');
    assert.equal((connz.connections ?? []).filter((c) => c.name === 'fresh-client').length, 1);
  });

  it('many concurrent calls each get their own answer', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => firstValueFrom(client.send('math.add', { a: i, b: 1 }))),
    );
    assert.deepEqual(
      results,
      Array.from({ length: 200 }, (_, i) => ({ result: i + 1 })),
    );
  });
});
