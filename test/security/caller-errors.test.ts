import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errors as natsErrors } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomError, PicomHeaderError, PicomPayloadTooLargeError, type PicomHeaders } from 'picom';
import { PicomClient, PicomRecordBuilder } from 'picom/nest';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { CapturingLogger, outcome } from '../fixtures/picom-test.helpers.js';

/**
 * Finding 4 of the security issue, calling side: what nats.js refuses inside
 * `publish()` (a header name with a space, a CR/LF in a value, headers plus
 * body over max_payload) came out as its raw `InvalidArgumentError`, and a
 * call stayed pending until its timeout. Now every such failure is a
 * `PicomError`, raised before anything is pending or sent, for the four ways
 * of sending: `Picom.request`/`publish`, `PicomClient.send`/`emit`.
 */

const MAX_PAYLOAD = 8 * 1024;
/** Long enough that a call left pending would be obvious. */
const TIMEOUT = 10_000;

type Sender = (headers: PicomHeaders, body?: string) => Promise<unknown>;

/** The requester behind an endpoint, for its count of pending calls. */
function pendingOf(endpoint: Picom | PicomClient): number {
  return (endpoint as unknown as { endpoint: { requester: { size: number } } }).endpoint.requester.size;
}

describe('calls that cannot be sent fail at once with a PicomError and leave nothing pending', () => {
  let broker: NatsServerHandle;
  let service: Picom;
  let caller: Picom;
  let client: PicomClient;
  const received: string[] = [];
  let senders: Record<string, Sender>;

  before(async () => {
    broker = await startNatsServer({ maxPayload: MAX_PAYLOAD });
    service = new Picom('calls', { servers: broker.url });
    await service.expose({
      echo: (message: unknown, msg) => {
        received.push(msg.headers?.get('x-ok') ?? '');
        return message;
      },
    });
    caller = new Picom('caller', { servers: broker.url, timeout: TIMEOUT });
    client = new PicomClient({ servers: broker.url, timeout: TIMEOUT, logger: new CapturingLogger() });
    await caller.connect();
    await client.connect();
    const record = (headers: PicomHeaders, body: string | undefined) => new PicomRecordBuilder(body ?? 'x').setHeaders(headers).build();
    senders = {
      'Picom.request': (headers, body) => caller.request('calls.echo', body ?? 'x', { headers }),
      'Picom.publish': (headers, body) => caller.publish('calls.echo', body ?? 'x', { headers }),
      'PicomClient.send': (headers, body) => firstValueFrom(client.send('calls.echo', record(headers, body))),
      'PicomClient.emit': (headers, body) => firstValueFrom(client.emit('calls.echo', record(headers, body)), { defaultValue: undefined }),
    };
  });

  after(async () => {
    await caller?.close();
    await client?.close();
    await service?.close();
    await broker?.stop();
  });

  /** Sends with every sender and returns what each failed with, checking that it failed fast and left nothing pending. */
  async function failures(headers: PicomHeaders, body?: string): Promise<[string, Error][]> {
    const found: [string, Error][] = [];
    for (const [name, send] of Object.entries(senders)) {
      const result = await outcome(send(headers, body));
      assert.ok(!result.ok, `${name} sent it`);
      assert.ok(result.error instanceof PicomError, `${name}: ${String(result.error)} (${result.error?.constructor.name})`);
      assert.ok(result.ms < 1_000, `${name} took ${result.ms.toFixed(0)} ms to fail`);
      found.push([name, result.error]);
    }
    assert.equal(pendingOf(caller), 0, 'nothing pending on the Picom');
    assert.equal(pendingOf(client), 0, 'nothing pending on the PicomClient');
    return found;
  }

  it('a header name with a space: PicomHeaderError naming it, nats.js\' error as the cause', async () => {
    for (const [name, err] of await failures({ 'x-ok': 'fine', 'bad key': 'v' })) {
      assert.ok(err instanceof PicomHeaderError, `${name}: ${String(err)}`);
      assert.equal(err.header, 'bad key', name);
      assert.equal(err.subject, 'calls.echo', name);
      assert.match(err.message, /^Invalid header "bad key" for calls\.echo: /, name);
      assert.ok(err.cause instanceof natsErrors.InvalidArgumentError, `${name}: cause ${String(err.cause)}`);
    }
  });

  it('a CR/LF in a value: PicomHeaderError naming the header, the value not echoed', async () => {
    for (const [name, err] of await failures({ 'x-ok': 'fine', 'x-inject': `a\r\nX-Admin: ${'y'.repeat(10_000)}` })) {
      assert.ok(err instanceof PicomHeaderError, `${name}: ${String(err)}`);
      assert.equal(err.header, 'x-inject', name);
      assert.ok(!err.message.includes('X-Admin'), err.message);
      assert.ok(err.message.length < 300, `${name}: ${err.message.length} characters`);
      assert.ok(err.cause instanceof natsErrors.InvalidArgumentError, name);
    }
  });

  it('a value that is not a string: PicomHeaderError, not a TypeError', async () => {
    for (const [name, err] of await failures({ 'x-count': 5 as unknown as string })) {
      assert.ok(err instanceof PicomHeaderError, `${name}: ${String(err)}`);
      assert.match(err.message, /its value is a number/, name);
    }
  });

  it('headers and body over max_payload together: PicomPayloadTooLargeError counting the header bytes', async () => {
    const body = 'b'.repeat(MAX_PAYLOAD - 1_000); // fits alone
    const headers = { 'x-big': 'h'.repeat(2_000) };
    for (const [name, err] of await failures(headers, body)) {
      assert.ok(err instanceof PicomPayloadTooLargeError, `${name}: ${String(err)}`);
      assert.equal(err.limit, MAX_PAYLOAD, name);
      // The JSON body, then `NATS/1.0\r\n`, `x-big: <value>`, `\r\n\r\n`.
      const headerBytes = 'NATS/1.0'.length + 2 + 'x-big: '.length + 2_000 + 4;
      assert.equal(err.headerBytes, headerBytes, name);
      assert.equal(err.size, JSON.stringify(body).length + headerBytes, name);
      assert.match(err.message, new RegExp(`is ${err.size} bytes \\(${headerBytes} of them headers\\), larger than the server's max_payload of ${MAX_PAYLOAD} bytes`));
    }
  });

  it('nothing refused reached the service, and the endpoints go on working', async () => {
    assert.deepEqual(received, [], 'a refused message was sent');
    const body = 'b'.repeat(MAX_PAYLOAD - 1_000);
    assert.equal(await caller.request('calls.echo', body, { headers: { 'x-ok': 'yes' } }), body);
    assert.equal(await firstValueFrom(client.send('calls.echo', new PicomRecordBuilder('c').setHeaders({ 'x-ok': 'yes' }).build())), 'c');
    assert.deepEqual(received, ['yes', 'yes']);
  });
});
