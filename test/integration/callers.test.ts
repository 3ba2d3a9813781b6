import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { lastValueFrom } from 'rxjs';
import { Picom, PicomError, PicomRemoteError, PicomTimeoutError } from 'picom';
import { PicomClient, PicomRecordBuilder } from 'picom/nest';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { deferred, header, rawConnect, rawResponder, sleep } from '../fixtures/raw-nats.fixture.js';

/**
 * The caller contract, the same for the plain `Picom` and the Nest
 * `PicomClient`: replies from a raw nats.js responder (so the envelope is
 * exactly what the test says), errors as `Error`s with the envelope's text and
 * fields, Bad JSON response, timeouts and no-responders.
 */

interface Caller {
  call(subject: string, data: unknown, options?: { timeout?: number; headers?: Record<string, string> }): Promise<unknown>;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT = 400;

function picomCaller(url: string): Caller {
  const picom = new Picom('callers', { servers: [url], timeout: DEFAULT_TIMEOUT });
  return {
    call: (subject, data, options) => picom.request(subject, data, options),
    close: () => picom.close(),
  };
}

function clientCaller(url: string): Caller {
  const client = new PicomClient({ servers: [url], timeout: DEFAULT_TIMEOUT });
  return {
    call: (subject, data, options) => {
      let payload: unknown = data;
      if (options) {
        const builder = new PicomRecordBuilder(data);
        if (options.timeout !== undefined) builder.setTimeout(options.timeout);
        if (options.headers) builder.setHeaders(options.headers);
        payload = builder.build();
      }
      return lastValueFrom(client.send(subject, payload), { defaultValue: undefined });
    },
    close: () => client.close(),
  };
}

describe('callers (Picom and PicomClient) against raw responders', () => {
  let nats: NatsServerHandle;
  let raw: NatsConnection;
  const slowRelease = deferred();

  before(async () => {
    nats = await startNatsServer();
    raw = await rawConnect(nats.url);
    await rawResponder(raw, 'raw.payload', '{"payload":{"n":7,"list":[1,2]}}');
    await rawResponder(raw, 'raw.empty', '{}');
    await rawResponder(raw, 'raw.nullPayload', '{"payload":null}');
    await rawResponder(raw, 'raw.falsyError', '{"error":"","payload":"ok"}');
    await rawResponder(raw, 'raw.error', '{"error":"Something failed"}');
    await rawResponder(raw, 'raw.errorFields', '{"error":"Quota exceeded","code":"E_QUOTA","limit":10,"payload":"ignored"}');
    await rawResponder(raw, 'raw.reservedFields', '{"error":"Odd","message":"not me","name":"Nope","stack":"fake","code":"C1"}');
    await rawResponder(raw, 'raw.notJson', 'this is not json');
    await rawResponder(raw, 'raw.notObject', '[1,2,3]');
    await rawResponder(raw, 'raw.echoHeaders', (msg) =>
      JSON.stringify({ payload: { body: new TextDecoder().decode(msg.data), trace: header(msg, 'x-trace-id') } }),
    );
    // Never answers: subscribed, so NATS sees a responder and the call waits for its timeout.
    raw.subscribe('raw.silent', { callback: () => undefined });
    raw.subscribe('raw.slow', {
      callback: (_err, msg) => void slowRelease.promise.then(() => msg.respond(new TextEncoder().encode('{"payload":"late"}'))),
    });
    await raw.flush();
  });

  after(async () => {
    slowRelease.resolve();
    await raw?.close();
    await nats?.stop();
  });

  for (const [name, make] of [
    ['Picom', picomCaller],
    ['PicomClient', clientCaller],
  ] as const) {
    describe(name, () => {
      let caller: Caller;

      before(() => {
        caller = make(nats.url);
      });

      after(async () => {
        await caller?.close();
      });

      it('resolves with the envelope payload', async () => {
        assert.deepEqual(await caller.call('raw.payload', { q: 1 }), { n: 7, list: [1, 2] });
        assert.equal(await caller.call('raw.nullPayload', {}), null);
      });

      it('{} resolves with undefined', async () => {
        assert.equal(await caller.call('raw.empty', {}), undefined);
      });

      it('a falsy error is no error', async () => {
        assert.equal(await caller.call('raw.falsyError', {}), 'ok');
      });

      it('an error envelope fails with an Error whose message is the error text', async () => {
        await assert.rejects(caller.call('raw.error', {}), (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.ok(err instanceof PicomError);
          assert.ok(err instanceof PicomRemoteError);
          assert.equal(err.message, 'Something failed');
          return true;
        });
      });

      it('extra envelope fields become own properties of the error', async () => {
        await assert.rejects(caller.call('raw.errorFields', {}), (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.equal(err.message, 'Quota exceeded');
          const e = err as Error & Record<string, unknown>;
          assert.ok(Object.hasOwn(e, 'code'), 'code is not an own property');
          assert.equal(e['code'], 'E_QUOTA');
          assert.equal(e['limit'], 10);
          assert.ok(!Object.hasOwn(e, 'payload'));
          return true;
        });
      });

      it('envelope fields never overwrite the error message, name or stack', async () => {
        await assert.rejects(caller.call('raw.reservedFields', {}), (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.equal(err.message, 'Odd');
          assert.notEqual(err.name, 'Nope');
          assert.notEqual(err.stack, 'fake');
          assert.equal((err as Error & { code?: string }).code, 'C1');
          return true;
        });
      });

      it('a reply that is not JSON fails with Bad JSON response', async () => {
        await assert.rejects(caller.call('raw.notJson', {}), (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.equal(err.message, 'Bad JSON response');
          return true;
        });
      });

      it('a reply that is JSON but not an object fails with Bad JSON response', async () => {
        await assert.rejects(caller.call('raw.notObject', {}), { message: 'Bad JSON response' });
      });

      it('sends the message as JSON and headers beside it', async () => {
        const result = await caller.call('raw.echoHeaders', { a: [1, 'b'] }, { headers: { 'x-trace-id': 't-42' } });
        assert.deepEqual(result, { body: '{"a":[1,"b"]}', trace: 't-42' });
      });

      it('fails with "Request <subject> timed out" after the default timeout', async () => {
        const started = performance.now();
        await assert.rejects(caller.call('raw.silent', {}), (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.ok(err instanceof PicomTimeoutError);
          assert.equal(err.message, 'Request raw.silent timed out');
          return true;
        });
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= DEFAULT_TIMEOUT - 20, `failed after ${elapsed.toFixed(0)} ms, before the ${DEFAULT_TIMEOUT} ms timeout`);
        assert.ok(elapsed < DEFAULT_TIMEOUT + 1_000, `failed after ${elapsed.toFixed(0)} ms`);
      });

      it('a per-call timeout overrides the default (shorter)', async () => {
        const started = performance.now();
        await assert.rejects(caller.call('raw.silent', {}, { timeout: 150 }), { message: 'Request raw.silent timed out' });
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= 130, `failed after ${elapsed.toFixed(0)} ms`);
        assert.ok(elapsed < DEFAULT_TIMEOUT - 50 || elapsed < 150 + 200, `failed after ${elapsed.toFixed(0)} ms: the per-call timeout was ignored`);
      });

      it('a per-call timeout overrides the default (longer)', async () => {
        const reply = caller.call('raw.slow', {}, { timeout: 3_000 });
        await sleep(DEFAULT_TIMEOUT + 300);
        slowRelease.resolve();
        assert.equal(await reply, 'late');
      });

      it('fails at once with an error naming the subject when nobody serves it', async () => {
        const started = performance.now();
        await assert.rejects(caller.call('nobody.home', {}, { timeout: 2_000 }), (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.ok(err instanceof PicomError);
          assert.match(err.message, /nobody\.home/);
          assert.doesNotMatch(err.message, /timed out/);
          return true;
        });
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 500, `no-responders took ${elapsed.toFixed(0)} ms (timeout 2000 ms)`);
      });
    });
  }
});
