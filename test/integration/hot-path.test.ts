import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { after, before, describe, it } from 'node:test';
import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { delay, lastValueFrom, of, tap, type Observable, type Subscriber } from 'rxjs';
import { Picom, PicomPayloadTooLargeError } from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, createNestService, type NestService } from '../fixtures/nest-app.fixture.js';
import { NEST_LACKS } from '../fixtures/nest-features.fixture.js';

/**
 * The shortcuts of the hot path must not change what users see: Nest's
 * processing hooks still wrap every handler once they are set, and a
 * PicomClient subclass still has its overrides called.
 */

const store = new AsyncLocalStorage<string>();
const seenStores: (string | undefined)[] = [];
let eventDone = false;

@Controller()
class HookedController {
  @MessagePattern('value')
  value(data: { n: number }): number {
    seenStores.push(store.getStore());
    return data.n * 2;
  }

  @MessagePattern('stream')
  stream(): Observable<number> {
    return of(1, 2, 3).pipe(delay(20));
  }

  @EventPattern('event')
  event(_data: unknown): Observable<number> {
    return of(1).pipe(
      delay(50),
      tap(() => (eventDone = true)),
    );
  }
}

describe('processing hooks on PicomServer', () => {
  let nats: NatsServerHandle;
  let nest: NestService;
  let plainNest: NestService;
  let caller: Picom;
  const started: string[] = [];
  const ended: string[] = [];

  before(async () => {
    nats = await startNatsServer();
    nest = await createNestService({ controllers: [HookedController] }, { service: 'hooked', servers: [nats.url] }, { listen: false });
    // Without processing hooks (before Nest 11.1) 'hooked' is one more unhooked service: the hook tests skip.
    if (!NEST_LACKS.processingHooks) {
      nest.server.setOnProcessingStartHook((_transport, context, done) => {
        started.push((context as { getMethod(): string }).getMethod());
        return store.run('traced', done);
      });
      nest.server.setOnProcessingEndHook((_transport, context) => {
        ended.push((context as { getMethod(): string }).getMethod());
      });
    }
    await nest.app.listen();
    plainNest = await createNestService({ controllers: [HookedController] }, { service: 'unhooked', servers: [nats.url] });
    caller = new Picom('caller', { servers: [nats.url], timeout: 3_000 });
  });

  after(async () => {
    await closeAll(caller, nest, plainNest);
    await nats?.stop();
  });

  it('runs the handler inside the start hook and the end hook once per request', { skip: NEST_LACKS.processingHooks }, async () => {
    started.length = 0;
    ended.length = 0;
    assert.equal(await caller.request('hooked.value', { n: 21 }), 42);
    assert.deepEqual(seenStores, ['traced']);
    assert.deepEqual(started, ['value']);
    assert.deepEqual(ended, ['value']);
  });

  it("replies with an Observable's last value and ends the hook after it completes", { skip: NEST_LACKS.processingHooks }, async () => {
    started.length = 0;
    ended.length = 0;
    assert.equal(await caller.request('hooked.stream', {}), 3);
    assert.deepEqual(started, ['stream']);
    assert.deepEqual(ended, ['stream']);
  });

  it('answers a request to an event handler once its Observable has completed, with or without hooks', async () => {
    for (const service of ['hooked', 'unhooked']) {
      eventDone = false;
      assert.equal(await caller.request(`${service}.event`, {}), undefined);
      assert.equal(eventDone, true, service);
    }
  });

  it('without hooks, a plain value and an Observable reply as with them', async () => {
    seenStores.length = 0;
    assert.equal(await caller.request('unhooked.value', { n: 4 }), 8);
    assert.deepEqual(seenStores, [undefined]);
    assert.equal(await caller.request('unhooked.stream', {}), 3);
  });
});

describe('what the shortcuts must keep', () => {
  let nats: NatsServerHandle;
  let service: Picom;

  before(async () => {
    nats = await startNatsServer();
    service = new Picom('math', { servers: [nats.url] });
    await service.expose({ add: (msg: { a: number; b: number }) => ({ result: msg.a + msg.b }), nothing: () => undefined });
  });

  after(async () => {
    await service?.close();
    await nats?.stop();
  });

  it('serializeResponse and serializeError overrides apply', async () => {
    class Wrapping extends PicomClient {
      protected override serializeResponse(response: unknown): unknown {
        return { wrapped: response };
      }
      protected override serializeError(err: unknown): unknown {
        return new Error(`wrapped: ${(err as Error).message}`);
      }
    }
    const client = new Wrapping({ servers: [nats.url], timeout: 3_000 });
    try {
      assert.deepEqual(await lastValueFrom(client.send('math.add', { a: 1, b: 2 })), { wrapped: { result: 3 } });
      await assert.rejects(lastValueFrom(client.send('math.missing', {})), /^Error: wrapped: Method not found "missing"$/);
    } finally {
      await client.close();
    }
  });

  it('an empty reply completes without a value, as createObserver does', async () => {
    const client = new PicomClient({ servers: [nats.url], timeout: 3_000 });
    try {
      const values: unknown[] = [];
      await new Promise<void>((resolve, reject) =>
        client.send('math.nothing', {}).subscribe({ next: (v) => values.push(v), error: reject, complete: resolve }),
      );
      assert.deepEqual(values, []);
    } finally {
      await client.close();
    }
  });

  it('overridden publish and createObserver are still called', async () => {
    const calls: string[] = [];
    class Overriding extends PicomClient {
      protected override publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
        calls.push(`publish ${String(packet.pattern)}`);
        return super.publish(packet, callback);
      }
      protected override createObserver<T>(observer: Subscriber<T>): (packet: WritePacket) => void {
        calls.push('createObserver');
        return super.createObserver(observer);
      }
    }
    const client = new Overriding({ servers: [nats.url], timeout: 3_000 });
    try {
      assert.deepEqual(await lastValueFrom(client.send('math.add', { a: 2, b: 5 })), { result: 7 });
      assert.deepEqual(calls.sort(), ['createObserver', 'publish math.add']);
    } finally {
      await client.close();
    }
  });

  it("a handler's thenable settles its reply once, and a throwing then() is an error reply", async () => {
    const odd = new Picom('odd', { servers: [nats.url] });
    const caller = new Picom('caller', { servers: [nats.url], timeout: 3_000 });
    try {
      await odd.expose({
        twice: () => ({
          then(resolve: (value: unknown) => void) {
            resolve('first');
            resolve('second');
          },
        }),
        throwing: () => ({
          then() {
            throw new Error('bad then');
          },
        }),
      });
      assert.equal(await caller.request('odd.twice'), 'first');
      await assert.rejects(caller.request('odd.throwing'), /bad then/);
    } finally {
      await caller.close();
      await odd.close();
    }
  });

  it('a body over max_payload fails with its exact UTF-8 size', async () => {
    const caller = new Picom('caller', { servers: [nats.url] });
    try {
      await caller.connect();
      const limit = caller.unwrap().info!.max_payload;
      const text = 'é'.repeat(Math.ceil(limit / 2)); // 2 bytes each in UTF-8
      const err = await caller.request('math.add', text).catch((e: unknown) => e);
      assert.ok(err instanceof PicomPayloadTooLargeError);
      assert.equal((err as PicomPayloadTooLargeError).size, Buffer.byteLength(JSON.stringify(text)));
    } finally {
      await caller.close();
    }
  });
});
