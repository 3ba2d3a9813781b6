import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomOptionsError, PicomStatus, PicomSubjectError } from 'picom';
import { PicomClient, PicomServer } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, createNestService } from '../fixtures/nest-app.fixture.js';
import { rawConnect, rawResponder, spyAll } from '../fixtures/raw-nats.fixture.js';
import { CapturingLogger, outcome, sleep, within } from '../fixtures/picom-test.helpers.js';

/**
 * A name or subject longer than nats-server's control line (4 KiB by default)
 * makes the server close the connection that sent it, failing every call in
 * flight on it, and a publish would resolve while its message is lost. So
 * names and subjects are bounded in UTF-8 bytes and checked before anything
 * is sent. The numbers are the documented limits.
 */

const SUBJECT_LIMIT = 1024;
const NAME_LIMIT = 256;
const INBOX_PREFIX_LIMIT = 256;
const CONNECTION_NAME_LIMIT = 512;

/** Two UTF-8 bytes in one UTF-16 unit: `.length` would undercount it. */
const TWO_BYTES = 'é';

/** Calls pending in an endpoint's requester (private: read for the test only). */
function pendingCalls(endpoint: Picom | PicomClient): number {
  return (endpoint as unknown as { endpoint: { requester?: { size: number } } }).endpoint.requester?.size ?? 0;
}

describe('names and subjects within nats-server limits', () => {
  let broker: NatsServerHandle;
  let service: Picom;

  before(async () => {
    broker = await startNatsServer();
    service = new Picom('limits', { servers: broker.url });
    await service.expose({
      work: async (msg: { id: number; ms: number }) => {
        await sleep(msg.ms);
        return msg.id;
      },
      echo: (msg: unknown) => msg,
    });
  });

  after(async () => {
    await service?.close();
    await broker?.stop();
  });

  it('a 5,000-character method fails at once with PicomSubjectError; the 100 calls in flight on the connection succeed', async () => {
    const caller = new Picom('limits-caller', { servers: broker.url, timeout: 3_000 });
    const disconnects: string[] = [];
    caller.on('disconnect', (server) => disconnects.push(server));
    try {
      await caller.connect();
      const inFlight = Array.from({ length: 100 }, (_, id) => outcome(caller.request('limits.work', { id, ms: 300 })));
      const long = await outcome(caller.request(`limits.${'m'.repeat(5_000)}`, { a: 1 }));
      const results = await within(Promise.all(inFlight), 10_000, 'the calls in flight');

      const failed = results.filter((r) => !r.ok);
      assert.equal(failed.length, 0, `${failed.length} of 100 failed, e.g. ${String(failed[0]?.error)}; the long call: ${String(long.error).slice(0, 80)}`);
      assert.deepEqual(results.map((r) => r.value), Array.from({ length: 100 }, (_, id) => id));
      assert.ok(long.error instanceof PicomSubjectError, `the long call: ${String(long.error ?? long.value)}`);
      assert.ok(long.ms < 100, `failed after ${long.ms} ms, not at once`);
      assert.match(long.error.message, new RegExp(`is 5007 bytes, over the ${SUBJECT_LIMIT}-byte limit`));
      assert.ok(long.error.message.length < 400, `the message echoes the whole subject: ${long.error.message.length} chars`);
      assert.equal(long.error.subject.length, 5_007, 'the error keeps the subject it refused');
      assert.deepEqual(disconnects, [], 'the connection went down');
      assert.equal(caller.status, PicomStatus.CONNECTED);
      assert.equal(pendingCalls(caller), 0, 'a call is left pending');
    } finally {
      await caller.close();
    }
  });

  it('Picom.publish, PicomClient.send and emit refuse an over-long subject too: nothing sent, nothing pending, still connected', async () => {
    const spyConnection = await rawConnect(broker.url);
    const spy = await spyAll(spyConnection);
    const caller = new Picom('limits-publisher', { servers: broker.url, timeout: 3_000 });
    // A logger of its own: Nest's would print the start-up line into the test output.
    const client = new PicomClient({ servers: broker.url, timeout: 3_000, logger: new CapturingLogger() });
    const disconnects: string[] = [];
    caller.on('disconnect', (server) => disconnects.push(server));
    client.on('disconnect', (server) => disconnects.push(server));
    try {
      await caller.connect();
      await client.connect();
      const subject = `limits.${'m'.repeat(5_000)}`;
      const results = await Promise.all([
        outcome(caller.publish(subject, { a: 1 })),
        outcome(firstValueFrom(client.send(subject, { a: 1 }))),
        outcome(firstValueFrom(client.emit(subject, { a: 1 }))),
      ]);
      for (const [i, r] of results.entries()) {
        const what = ['Picom.publish', 'PicomClient.send', 'PicomClient.emit'][i];
        assert.ok(r.error instanceof PicomSubjectError, `${what}: ${String(r.error ?? 'resolved')}`);
        assert.match(r.error.message, new RegExp(`over the ${SUBJECT_LIMIT}-byte limit`), what);
        assert.ok(r.ms < 100, `${what}: ${r.ms} ms`);
      }
      assert.equal(pendingCalls(client), 0, 'a send is left pending');

      // The connections are up and the spy sees what is sent: only the valid calls.
      assert.equal(await caller.request('limits.echo', 'plain'), 'plain');
      assert.equal(await firstValueFrom(client.send('limits.echo', 'nest')), 'nest');
      await caller.publish('limits.echo', 'published');
      await caller.unwrap().flush();
      await waitUntil(() => spy.seen.some((m) => m.data === '"published"'), { message: 'the spy saw nothing' });
      const sent = spy.seen.filter((m) => m.subject.startsWith('limits.')).map((m) => m.subject);
      assert.deepEqual(sent, ['limits.echo', 'limits.echo', 'limits.echo'], 'something else was sent');
      assert.deepEqual(disconnects, [], 'a connection went down');
    } finally {
      spy.stop();
      await spyConnection.close();
      await caller.close();
      await client.close();
    }
  });

  it('the longest subject, inbox prefix and connection name allowed fit together, with headers; one byte more is refused', async () => {
    // An old Picom service (or any NATS responder) may have a name longer than Picom
    // serves; callers may address it up to the subject limit.
    const longest = `${'o'.repeat(600)}.${TWO_BYTES.repeat(211)}x`; // 601 + 422 + 1 bytes
    assert.equal(Buffer.byteLength(longest), SUBJECT_LIMIT);
    const responderConnection = await rawConnect(broker.url);
    await rawResponder(responderConnection, longest, (msg) => JSON.stringify({ payload: { reply: msg.reply, trace: msg.headers?.get('x-trace') } }));
    const inboxPrefix = `_INBOX.${'p'.repeat(INBOX_PREFIX_LIMIT - 7)}`;
    const name = 'n'.repeat(CONNECTION_NAME_LIMIT);
    const caller = new Picom('limits-longest', { servers: broker.url, timeout: 3_000, inboxPrefix, name });
    const disconnects: string[] = [];
    caller.on('disconnect', (server) => disconnects.push(server));
    try {
      const reply = (await caller.request(longest, 'x'.repeat(1_000), { headers: { 'x-trace': 't'.repeat(1_000) } })) as {
        reply: string;
        trace: string;
      };
      assert.ok(reply.reply.startsWith(`${inboxPrefix}.`), reply.reply.slice(0, 40));
      assert.equal(reply.trace, 't'.repeat(1_000));

      // Same `.length`, one byte more.
      const over = `${longest.slice(0, -1)}${TWO_BYTES}`;
      assert.equal(over.length, longest.length);
      const refused = await outcome(caller.request(over, 1));
      assert.ok(refused.error instanceof PicomSubjectError, String(refused.error ?? 'resolved'));
      assert.match(refused.error.message, new RegExp(`is ${SUBJECT_LIMIT + 1} bytes, over the ${SUBJECT_LIMIT}-byte limit`));
      assert.deepEqual(disconnects, []);
      assert.equal(caller.status, PicomStatus.CONNECTED);
    } finally {
      await caller.close();
      await responderConnection.close();
    }
  });

  it('service names over 256 bytes are refused when Picom or PicomServer is built; 256 bytes serve and answer', async () => {
    const five = 's'.repeat(5_000);
    const over = `${TWO_BYTES.repeat(NAME_LIMIT / 2)}x`; // 129 characters, 257 bytes
    for (const name of [five, over]) {
      const bytes = Buffer.byteLength(name);
      for (const [what, build] of [
        ['Picom', () => new Picom(name, { servers: broker.url })],
        ['PicomServer', () => new PicomServer({ service: name, servers: broker.url })],
      ] as const) {
        assert.throws(build, (err: unknown) => {
          assert.ok(err instanceof PicomOptionsError, `${what}: ${String(err)}`);
          assert.match(err.message, new RegExp(`${bytes} bytes, over the ${NAME_LIMIT}-byte limit`), what);
          assert.ok(err.message.length < 400, `${what} echoes the whole name`);
          return true;
        });
      }
    }

    const serviceName = TWO_BYTES.repeat(NAME_LIMIT / 2);
    const method = 'ü'.repeat(NAME_LIMIT / 2);
    const widest = new Picom(serviceName, { servers: broker.url });
    const caller = new Picom('limits-wide-caller', { servers: broker.url, timeout: 3_000 });
    try {
      await widest.expose({ [method]: (msg: unknown) => ({ got: msg }) });
      assert.deepEqual(await caller.request(`${serviceName}.${method}`, 7), { got: 7 });
    } finally {
      await caller.close();
      await widest.close();
    }
  });

  it('methods over 256 bytes: expose() and a Nest @MessagePattern refuse them, naming the limit', async () => {
    const long = 'm'.repeat(5_000);
    const plain = new Picom('limits-methods', { servers: broker.url });
    try {
      const exposed = await outcome(plain.expose({ [long]: () => 1 }));
      assert.ok(exposed.error instanceof PicomOptionsError, `expose: ${String(exposed.error ?? 'resolved')}`);
      assert.match(exposed.error.message, new RegExp(`5000 bytes, over the ${NAME_LIMIT}-byte limit on a method name`));
      const justOver = await outcome(plain.expose({ [`${TWO_BYTES.repeat(NAME_LIMIT / 2)}x`]: () => 1 }));
      assert.ok(justOver.error instanceof PicomOptionsError, `expose 257 bytes: ${String(justOver.error ?? 'resolved')}`);
    } finally {
      await plain.close();
    }

    @Controller()
    class LongPatternController {
      @MessagePattern(long)
      handle(): number {
        return 1;
      }
    }
    const started = await outcome(createNestService({ controllers: [LongPatternController] }, { service: 'limits-nest', servers: broker.url }));
    if (started.ok) await closeAll(started.value);
    assert.ok(started.error instanceof PicomOptionsError, `listen: ${String(started.error ?? 'resolved')}`);
    assert.match(started.error.message, new RegExp(`over the ${NAME_LIMIT}-byte limit on a method name`));
  });

  it('inboxPrefix must be a subject prefix within 256 bytes, and the connection name within 512', async () => {
    for (const inboxPrefix of ['a b', '_INBOX.*', '_INBOX.>', '_INBOX..x', '.x', 'x.', 'tab\there']) {
      assert.throws(() => new Picom('limits-prefix', { servers: broker.url, inboxPrefix }), (err: unknown) => {
        assert.ok(err instanceof PicomOptionsError, `${JSON.stringify(inboxPrefix)}: ${String(err)}`);
        assert.match(err.message, /"inboxPrefix"/);
        return true;
      });
    }
    assert.throws(() => new PicomClient({ servers: broker.url, inboxPrefix: 'p'.repeat(INBOX_PREFIX_LIMIT + 1) }), (err: unknown) => {
      assert.ok(err instanceof PicomOptionsError, String(err));
      assert.match(err.message, new RegExp(`"inboxPrefix".*over the ${INBOX_PREFIX_LIMIT}-byte limit`));
      return true;
    });
    assert.throws(() => new PicomClient({ servers: broker.url, name: 'n'.repeat(5_000) }), (err: unknown) => {
      assert.ok(err instanceof PicomOptionsError, String(err));
      assert.match(err.message, new RegExp(`"name".*over the ${CONNECTION_NAME_LIMIT}-byte limit`));
      return true;
    });

    // A prefix of several tokens works, as the permissions of a per-user inbox need.
    const caller = new Picom('limits-prefixed', { servers: broker.url, timeout: 3_000, inboxPrefix: '_INBOX.alice' });
    try {
      assert.equal(await caller.request('limits.echo', 'ok'), 'ok');
    } finally {
      await caller.close();
    }
  });
});
