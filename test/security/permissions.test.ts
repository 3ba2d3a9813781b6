import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RpcException } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import {
  Picom,
  PicomConnectionErrorCode,
  PicomPermissionError,
  PicomRemoteError,
  PicomStatus,
  PicomTimeoutError,
  type PicomConnectionOptions,
} from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { CapturingLogger, outcome, sleep, startTestService, within, type TestService, type WorkRequest } from '../fixtures/picom-test.helpers.js';

/** Users with one permission missing each; `admin` may do everything. */
const AUTHORIZATION = `
authorization {
  users: [
    { user: admin, password: admin }
    { user: caller, password: caller, permissions: { publish: { deny: ["perm.secret", "forbidden.>"] } } }
    { user: mute, password: mute, permissions: { publish: { deny: ["_INBOX.>"] } } }
    { user: nosub, password: nosub, permissions: { subscribe: { deny: ["nosub.>"] } } }
    { user: noinbox, password: noinbox, permissions: { subscribe: { deny: ["_INBOX.>"] } } }
  ]
}`;

const as = (user: string): PicomConnectionOptions => ({ user, pass: user });

function assertPermissionError(err: unknown, operation: 'publish' | 'subscribe', subject: string | RegExp, what: string): asserts err is PicomPermissionError {
  assert.ok(err instanceof PicomPermissionError, `${what}: ${String(err)}`);
  assert.equal(err.code, PicomConnectionErrorCode.PERMISSION, what);
  assert.equal(err.operation, operation, what);
  if (typeof subject === 'string') {
    assert.equal(err.subject, subject, what);
  } else {
    assert.match(err.subject, subject, what);
  }
  assert.match(err.message, new RegExp(`permissions violation: this connection's user may not ${operation}`), what);
}

describe('subject permissions', () => {
  let broker: NatsServerHandle;
  let service: TestService;

  before(async () => {
    broker = await startNatsServer({ config: AUTHORIZATION });
    service = await startTestService({ service: 'perm', servers: broker.url, ...as('admin') });
  });

  after(async () => {
    await service?.close();
    await broker?.stop();
  });

  it('a call its user may not publish fails at once with a permission error; allowed calls go on', async (t) => {
    const log = new CapturingLogger();
    const client = new PicomClient({ servers: broker.url, timeout: 10_000, logger: log, ...as('caller') });
    const caller = new Picom('perm-caller', { servers: broker.url, timeout: 10_000, logger: log, ...as('caller') });
    const errors: Error[] = [];
    client.on('error', (err) => errors.push(err));
    caller.on('error', (err) => errors.push(err));
    try {
      const [denied, deniedPlain, allowed, allowedPlain] = await within(
        Promise.all([
          outcome(firstValueFrom(client.send('perm.secret', { a: 1 }))),
          outcome(caller.request('perm.secret', { a: 1 })),
          outcome(firstValueFrom(client.send('perm.echo', 'ok'))),
          outcome(caller.request('perm.echo', 'ok')),
        ]),
        5_000,
        'calls',
      );
      assertPermissionError(denied?.error, 'publish', 'perm.secret', 'PicomClient.send');
      assertPermissionError(deniedPlain?.error, 'publish', 'perm.secret', 'Picom.request');
      assert.ok((denied?.ms ?? Infinity) < 1_000, `took ${denied?.ms} ms of a 10 s timeout`);
      assert.equal(allowed?.value, 'ok');
      assert.equal(allowedPlain?.value, 'ok');

      // Reported: an 'error' event per connection and an error log line.
      await waitUntil(() => errors.length >= 2, { message: () => `error events: ${errors.map(String).join(', ')}` });
      for (const err of errors) {
        assertPermissionError(err, 'publish', 'perm.secret', "on('error')");
      }
      assert.match(log.errors().join('\n'), /may not publish to "perm\.secret"/);

      // The connections go on.
      assert.equal(await firstValueFrom(client.send('perm.echo', 'still')), 'still');
      assert.equal(caller.status, PicomStatus.CONNECTED);
      t.diagnostic(`refused publish reported to the caller after ${denied?.ms.toFixed(0)} ms (timeout 10000 ms)`);
    } finally {
      await client.close();
      await caller.close();
    }
  });

  it('a Nest service whose user may not publish a subject gets the error in its handler; emits are reported', async () => {
    const log = new CapturingLogger();
    const outbound = new PicomClient({ servers: broker.url, timeout: 10_000, logger: log, ...as('caller') });
    const errors: Error[] = [];
    outbound.on('error', (err) => errors.push(err));
    const relaying = await startTestService(
      { service: 'relaying', servers: broker.url, ...as('caller') },
      {
        relay: async (subject, data) => {
          try {
            return await firstValueFrom(outbound.send(subject, data));
          } catch (err) {
            throw new RpcException({ message: (err as Error).message, code: (err as { code?: string }).code });
          }
        },
      },
    );
    const admin = new Picom('perm-admin', { servers: broker.url, timeout: 5_000, ...as('admin') });
    try {
      const relayed = await admin.request('relaying.relay', { subject: 'perm.echo', data: 'through' });
      assert.equal(relayed, 'through');
      const result = await outcome(admin.request('relaying.relay', { subject: 'forbidden.method', data: 1 }));
      assert.ok(result.error instanceof PicomRemoteError, String(result.error));
      assert.match(result.error.message, /may not publish to "forbidden\.method"/);
      assert.equal((result.error as PicomRemoteError & { code?: string }).code, 'PERMISSION');
      assert.ok(result.ms < 2_000, `took ${result.ms.toFixed(0)} ms`);

      // A fire-and-forget publish cannot fail the call; the violation is reported.
      await firstValueFrom(outbound.emit('forbidden.event', { x: 1 }), { defaultValue: undefined });
      await waitUntil(() => errors.some((e) => e instanceof PicomPermissionError && e.subject === 'forbidden.event'), {
        message: () => `error events: ${errors.map(String).join(', ')}`,
      });
      assert.match(log.errors().join('\n'), /may not publish to "forbidden\.event"/);
    } finally {
      await admin.close();
      await outbound.close();
      await relaying.close();
    }
  });

  it('a service that may not reply reports the violation and keeps serving; its caller times out', async () => {
    const log = new CapturingLogger();
    const handled: number[] = [];
    const mute = await startTestService({ service: 'mute', servers: broker.url, logger: log, ...as('mute') }, { onDone: (d: WorkRequest) => handled.push(d.id) });
    const errors: Error[] = [];
    mute.server.on('error', (err) => errors.push(err));
    const admin = new Picom('mute-admin', { servers: broker.url, timeout: 500, ...as('admin') });
    try {
      const result = await outcome(admin.request('mute.work', { id: 1 }));
      // Nothing can tell the caller: the service may not publish to its inbox.
      assert.ok(result.error instanceof PicomTimeoutError, String(result.error));
      await waitUntil(() => errors.length > 0, { message: 'no error event on the service' });
      assertPermissionError(errors[0], 'publish', /^_INBOX\./, "service on('error')");
      assert.match(log.errors().join('\n'), /may not publish to "_INBOX\./);

      // Still subscribed and handling: a publish (no reply needed) is processed.
      await admin.publish('mute.work', { id: 2 });
      await waitUntil(() => handled.includes(2), { message: `handled: ${handled.join(', ')}` });
      assert.equal(await firstValueFrom(mute.server.status), PicomStatus.CONNECTED);
    } finally {
      await admin.close();
      await mute.close();
    }
  });

  it('a service that may not subscribe to its subject fails at listen()/expose() with a permission error', async () => {
    const before = (await broker.monitor<{ num_connections: number }>('connz')).num_connections;
    const log = new CapturingLogger();
    const nest = await outcome(startTestService({ service: 'nosub', servers: broker.url, logger: log, ...as('nosub') }));
    assertPermissionError(nest.error, 'subscribe', 'nosub.>', 'app.listen()');
    assert.equal(nest.error.queue, 'nosub');
    assert.match(nest.error.message, /may not subscribe to "nosub\.>" in queue group "nosub"/);
    assert.match(log.errors().join('\n'), /may not subscribe to "nosub\.>"/);

    const plain = new Picom('nosub', { servers: broker.url, ...as('nosub') });
    try {
      const exposed = await outcome(plain.expose({ add: (m: { a: number; b: number }) => m.a + m.b }));
      assertPermissionError(exposed.error, 'subscribe', 'nosub.>', 'Picom.expose()');
    } finally {
      await plain.close();
    }
    // The refused Nest service closed its connection.
    await waitUntil(async () => (await broker.monitor<{ num_connections: number }>('connz')).num_connections === before, {
      message: 'the refused service left its connection open',
    });
  });

  it('a caller that may not subscribe to its reply inbox fails at once and is told about inboxPrefix', async () => {
    const client = new PicomClient({ servers: broker.url, timeout: 10_000, ...as('noinbox') });
    const withPrefix = new PicomClient({ servers: broker.url, timeout: 10_000, inboxPrefix: '_PRIVATE', ...as('noinbox') });
    try {
      const first = await outcome(firstValueFrom(client.send('perm.echo', 1)));
      assertPermissionError(first.error, 'subscribe', /^_INBOX\..*\.\*$/, 'first call');
      assert.match(first.error.message, /inboxPrefix/);
      assert.ok(first.ms < 2_000, `took ${first.ms.toFixed(0)} ms`);
      await sleep(50);
      const next = await outcome(firstValueFrom(client.send('perm.echo', 2)));
      assert.ok(next.error instanceof PicomPermissionError);
      assert.ok(next.ms < 50, `took ${next.ms.toFixed(0)} ms`);

      assert.equal(await firstValueFrom(withPrefix.send('perm.echo', 'private inbox')), 'private inbox');
    } finally {
      await client.close();
      await withPrefix.close();
    }
  });
});
