import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomBadResponseError, PicomRemoteError } from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { rawConnect } from '../fixtures/raw-nats.fixture.js';
import { CapturingLogger, lagProbe, outcome, within } from '../fixtures/picom-test.helpers.js';

/**
 * A fake service (a raw nats.js connection) answers with what a Picom caller
 * must survive: a header block big enough to stall nats.js' quadratic header
 * parser (unbounded, 20,000 keys on an empty body block the caller's event
 * loop for seconds), and error envelopes whose `error` is not a string (which
 * must not become a plain `TypeError` or `PicomRemoteError("[object Object]")`).
 */

const FLOOD_KEYS = 20_000;
/** Under the default 16 KiB, over the default 100 lines. */
const MANY_KEYS = 150;

const encoder = new TextEncoder();

/**
 * Header blocks built straight into nats.js' map: `append()` checks every
 * existing key, so building 20,000 of them the public way would itself take
 * seconds in this process and blur the measurement.
 */
function bulkHeaders(count: number): MsgHdrs {
  const h = natsHeaders();
  const map = (h as unknown as { headers: Map<string, string[]> }).headers;
  for (let i = 0; i < count; i++) map.set(`X-Flood-${i}`, ['v']);
  return h;
}

/** How long the event loop was blocked at most while `work` ran. */
async function loopLag<T>(work: () => Promise<T>): Promise<{ result: T; lag: number }> {
  const probe = lagProbe();
  try {
    const result = await work();
    return { result, lag: probe.stop() };
  } finally {
    probe.stop();
  }
}

describe('hostile replies: a fake service cannot stall a caller or make it throw a non-Picom error', () => {
  let broker: NatsServerHandle;
  let fake: NatsConnection;
  let caller: Picom;
  let client: PicomClient;
  const flood = bulkHeaders(FLOOD_KEYS);
  const many = bulkHeaders(MANY_KEYS);

  before(async () => {
    broker = await startNatsServer();
    fake = await rawConnect(broker.url);
    const few = natsHeaders();
    few.set('X-Trace', 'abc');
    few.set('X-Other', '1');
    const replies: Record<string, { body: string; headers?: MsgHdrs }> = {
      flood: { body: '', headers: flood },
      floodBody: { body: '{"payload":1}', headers: flood },
      many: { body: '{"payload":1}', headers: many },
      few: { body: '{"payload":"ok"}', headers: few },
      errToString: { body: '{"error":{"toString":1}}' },
      errNested: { body: '{"error":{"nested":true}}' },
      errText: { body: '{"error":"text","code":"E_TEXT"}' },
    };
    fake.subscribe('fake.>', {
      callback: (_err, msg) => {
        const reply = replies[msg.subject.slice('fake.'.length)];
        if (reply && msg.reply) fake.publish(msg.reply, encoder.encode(reply.body), reply.headers ? { headers: reply.headers } : undefined);
      },
    });
    await fake.flush();
    caller = new Picom('victim', { servers: broker.url, timeout: 20_000 });
    client = new PicomClient({ servers: broker.url, timeout: 20_000, logger: new CapturingLogger() });
    await caller.connect();
    await client.connect();
  });

  after(async () => {
    await caller?.close();
    await client?.close();
    await fake?.close();
    await broker?.stop();
  });

  it(`an empty reply with ${FLOOD_KEYS.toLocaleString('en')} header keys fails at once with a bad response naming the limit, without blocking the event loop`, async () => {
    const { result, lag } = await loopLag(() => within(outcome(caller.request('fake.flood')), 15_000, 'call'));
    assert.ok(lag < 500, `event loop blocked for ${lag.toFixed(0)} ms`);
    assert.ok(result.ms < 1_000, `the call took ${result.ms.toFixed(0)} ms`);
    const err = result.error;
    assert.ok(err instanceof PicomBadResponseError, String(err));
    assert.equal(err.subject, 'fake.flood');
    assert.match(err.message, /^Bad response from fake\.flood: its header block is over the limit, \d+ bytes of headers, more than the 16384 allowed \(maxHeaderBytes\)/);
  });

  it('a reply with a body is refused over the limits too (the headers are never parsed)', async () => {
    const { result, lag } = await loopLag(() => outcome(firstValueFrom(client.send('fake.floodBody', {}))));
    assert.ok(result.error instanceof PicomBadResponseError, String(result.error));
    assert.match(result.error.message, /\(maxHeaderBytes\)/);
    assert.ok(lag < 500, `event loop blocked for ${lag.toFixed(0)} ms`);
  });

  it(`${MANY_KEYS} header lines in under 16 KiB: refused by the line limit, raised by the caller's own option`, async () => {
    const err = (await outcome(caller.request('fake.many'))).error;
    assert.ok(err instanceof PicomBadResponseError, String(err));
    assert.match(err.message, new RegExp(`: its header block is over the limit, ${MANY_KEYS} header lines, more than the 100 allowed \\(maxHeaderCount\\)`));
    const roomy = new Picom('roomy', { servers: broker.url, maxHeaderCount: MANY_KEYS });
    try {
      assert.equal(await roomy.request('fake.many'), 1);
    } finally {
      await roomy.close();
    }
  });

  it('a reply with a few headers is read as usual', async () => {
    assert.equal(await caller.request('fake.few'), 'ok');
    assert.equal(await firstValueFrom(client.send('fake.few', {})), 'ok');
  });

  const nonStringErrors: [string, unknown][] = [
    ['errToString', { toString: 1 }],
    ['errNested', { nested: true }],
  ];
  for (const [method, raw] of nonStringErrors) {
    it(`${JSON.stringify({ error: raw })} is a bad response carrying the raw value, for Picom and PicomClient`, async () => {
      const errors = [
        (await outcome(caller.request(`fake.${method}`))).error,
        (await outcome(firstValueFrom(client.send(`fake.${method}`, {})))).error,
      ];
      for (const err of errors) {
        assert.ok(err instanceof PicomBadResponseError, `${String(err)} (${err?.constructor.name})`);
        assert.deepEqual(err.raw, raw);
        assert.match(err.message, /its "error" field is an object, not a string/);
        assert.doesNotMatch(err.message, /object Object/);
      }
    });
  }

  it('an error text with fields stays a PicomRemoteError, as old peers send it', async () => {
    const err = (await outcome(caller.request('fake.errText'))).error;
    assert.ok(err instanceof PicomRemoteError, String(err));
    assert.equal(err.message, 'text');
    assert.equal((err as PicomRemoteError & { code?: string }).code, 'E_TEXT');
  });
});
