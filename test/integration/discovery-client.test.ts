import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Service } from '@nats-io/services';
import { Picom, PicomDiscovery, PicomOptionsError } from 'picom';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { rawConnect } from '../fixtures/raw-nats.fixture.js';
import { startMicroService } from '../fixtures/micro-service.fixture.js';

/**
 * `PicomDiscovery` against services made with the official `@nats-io/services`
 * on a real nats-server: every instance answers, `max` and `id` narrow the
 * answers, nobody is an empty list, and garbage answers are left out and told.
 */

/** Generous: collecting answers is a timer, so every test waits about this long. */
const WAIT = 300;

describe('PicomDiscovery against @nats-io/services instances', () => {
  let nats: NatsServerHandle;
  let serviceConnections: NatsConnection[] = [];
  const services: Service[] = [];
  let picom: Picom;
  let discovery: PicomDiscovery;

  before(async () => {
    nats = await startNatsServer();
    // One connection per instance, as separate processes would have.
    serviceConnections = await Promise.all([rawConnect(nats.url), rawConnect(nats.url), rawConnect(nats.url)]);
    services.push(
      await startMicroService(serviceConnections[0]!, { name: 'alpha', version: '1.0.0', description: 'first', methods: ['add', 'sub'] }),
      await startMicroService(serviceConnections[1]!, { name: 'alpha', version: '1.1.0', description: 'first', methods: ['add', 'sub'] }),
      await startMicroService(serviceConnections[2]!, { name: 'beta', version: '2.0.0', methods: ['get'] }),
    );
    picom = new Picom('discovery-test', { servers: nats.url });
    await picom.connect();
    discovery = new PicomDiscovery(picom.unwrap());
  });

  after(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await Promise.all(serviceConnections.map((nc) => nc.close()));
    await picom?.close();
    await nats?.stop();
  });

  it('ping without a service: every instance of every service, each with its rtt', async () => {
    const replies = await discovery.ping(undefined, { timeout: WAIT });
    const seen = replies.map((r) => `${r.document.name}@${r.document.version}`).sort();
    assert.deepEqual(seen, ['alpha@1.0.0', 'alpha@1.1.0', 'beta@2.0.0']);
    assert.equal(new Set(replies.map((r) => r.document.id)).size, 3, 'instance ids are not distinct');
    for (const { document, rtt } of replies) {
      assert.equal(document.type, 'io.nats.micro.v1.ping_response');
      assert.ok(rtt >= 0 && rtt < WAIT, `rtt ${rtt}`);
    }
  });

  it('ping with a service: only its instances', async () => {
    const replies = await discovery.ping('alpha', { timeout: WAIT });
    assert.equal(replies.length, 2);
    assert.ok(replies.every((r) => r.document.name === 'alpha'));
  });

  it('info: endpoints with their subjects and queue groups, and the description', async () => {
    const replies = await discovery.info('alpha', { timeout: WAIT });
    assert.equal(replies.length, 2);
    for (const { document } of replies) {
      assert.equal(document.type, 'io.nats.micro.v1.info_response');
      assert.equal(document.description, 'first');
      assert.deepEqual(
        document.endpoints.map((e) => [e.name, e.subject, e.queue_group]),
        [
          ['add', 'alpha.add', 'alpha'],
          ['sub', 'alpha.sub', 'alpha'],
        ],
      );
    }
  });

  it('stats: requests counted per endpoint, times in nanoseconds', async () => {
    const nc = picom.unwrap();
    await nc.request('beta.get', 'x', { timeout: 2_000 });
    await nc.request('beta.get', 'y', { timeout: 2_000 });
    const [reply, ...others] = await discovery.stats('beta', { timeout: WAIT });
    assert.equal(others.length, 0);
    const get = reply!.document.endpoints.find((e) => e.name === 'get');
    assert.equal(get?.num_requests, 2);
    assert.equal(get?.num_errors, 0);
    assert.equal(typeof get?.average_processing_time, 'number');
    assert.ok(!Number.isNaN(Date.parse(reply!.document.started)));
  });

  it('max: stops at that many answers, well before the timeout', async () => {
    const started = performance.now();
    const replies = await discovery.ping('alpha', { timeout: 5_000, max: 1 });
    const ms = performance.now() - started;
    assert.equal(replies.length, 1);
    assert.ok(ms < 2_500, `took ${ms.toFixed(0)} ms with max 1 and a 5000 ms timeout`);
  });

  it('id: only the instance with that id', async () => {
    const all = await discovery.ping('alpha', { timeout: WAIT });
    const wanted = all.find((r) => r.document.version === '1.1.0')!.document.id;
    const replies = await discovery.info('alpha', { timeout: WAIT, id: wanted });
    assert.deepEqual(
      replies.map((r) => [r.document.id, r.document.version]),
      [[wanted, '1.1.0']],
    );
  });

  it('a service nobody serves: an empty list, at once (no responders)', async () => {
    const started = performance.now();
    const replies = await discovery.ping('nobody', { timeout: 5_000 });
    const ms = performance.now() - started;
    assert.deepEqual(replies, []);
    assert.ok(ms < 2_500, `took ${ms.toFixed(0)} ms for a service with no instance`);
  });

  it('invalid service, id, timeout or max: PicomOptionsError, nothing sent', async () => {
    for (const service of ['a.b', 'a b', '*', '>', '']) {
      await assert.rejects(discovery.ping(service), PicomOptionsError, JSON.stringify(service));
    }
    await assert.rejects(discovery.ping(42 as unknown as string), PicomOptionsError, 'a number as service');
    for (const id of ['x.y', 'x y', '*']) {
      await assert.rejects(discovery.info('alpha', { id }), PicomOptionsError, JSON.stringify(id));
    }
    await assert.rejects(discovery.info(undefined, { id: 'abc' }), /needs its service name/);
    for (const timeout of [0, -1, Number.NaN, Infinity]) {
      await assert.rejects(discovery.ping('alpha', { timeout }), PicomOptionsError, String(timeout));
    }
    for (const max of [0, -1, 1.5]) {
      await assert.rejects(discovery.ping('alpha', { max }), PicomOptionsError, String(max));
    }
  });

  describe('with a raw subscriber answering garbage on $SRV.PING', () => {
    let raw: NatsConnection;
    let sub: Subscription;
    const GARBAGE = [
      'not json at all',
      '[1,2,3]',
      '"a string"',
      JSON.stringify({ type: 'io.nats.micro.v1.info_response', name: 'liar', id: 'L1', version: '1.0.0' }),
      JSON.stringify({ type: 'io.nats.micro.v1.ping_response', name: 7, id: 'L2', version: '1.0.0' }),
    ];

    before(async () => {
      raw = await rawConnect(nats.url);
      sub = raw.subscribe('$SRV.PING', {
        callback: (_err, msg) => {
          for (const text of GARBAGE) {
            if (msg.reply) raw.publish(msg.reply, text);
          }
        },
      });
      await raw.flush();
    });
    after(async () => {
      sub?.unsubscribe();
      await raw?.close();
    });

    it('leaves the garbage out, reports each through onIgnored, keeps the real answers', async () => {
      const ignored: { subject: string; reason: string }[] = [];
      const replies = await discovery.ping(undefined, {
        timeout: WAIT,
        onIgnored: (subject, reason) => ignored.push({ subject, reason }),
      });
      assert.deepEqual(replies.map((r) => r.document.name).sort(), ['alpha', 'alpha', 'beta']);
      assert.equal(ignored.length, GARBAGE.length, JSON.stringify(ignored));
      assert.deepEqual(
        ignored.map((i) => i.reason),
        [
          'not JSON',
          'not a JSON object',
          'not a JSON object',
          'type "io.nats.micro.v1.info_response" instead of io.nats.micro.v1.ping_response',
          'no string name and id',
        ],
      );
    });

    it('without onIgnored the garbage is left out all the same', async () => {
      const replies = await discovery.ping(undefined, { timeout: WAIT });
      assert.equal(replies.length, 3);
    });
  });
});
