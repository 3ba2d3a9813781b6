import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, RpcException } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { Svcm, type ServiceClient } from '@nats-io/services';
import { Picom, PicomRemoteError } from 'picom';
import { PicomServer } from 'picom/nest';
import { MAX_LAST_ERROR_CHARS, WIRE_MESSAGES } from '../../lib/constants.js';
import { ENDPOINT_MESSAGES } from '../../lib/endpoint/constants.js';
import { MICRO_MESSAGES } from '../../lib/discovery/micro.constants.js';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, createNestService, type NestService } from '../fixtures/nest-app.fixture.js';
import { CapturingLogger, outcome, sleep } from '../fixtures/picom-test.helpers.js';
import { officialClient, query, type MicroDocument } from '../fixtures/micro.fixture.js';
import { rawConnect, rawRequest, startOldPicom } from '../fixtures/raw-nats.fixture.js';

/**
 * Serving endpoints answer the NATS micro protocol: the official client
 * (`@nats-io/services`) lists, infos and stats Picom services as it does its
 * own, every document passes our schemas of ADR-32, and the Picom wire is
 * unchanged for old processes in the same queue group.
 */

interface SubDetail {
  subject: string;
  qgroup?: string;
  cid: number;
}

@Controller()
class MathController {
  @MessagePattern('sum')
  sum(data: number[]): number {
    return data.reduce((a, b) => a + b, 0);
  }
  @MessagePattern('refuse')
  refuse(): never {
    throw new RpcException('refused by rule');
  }
  @EventPattern('noted')
  noted(_data: unknown): void {}
}

const random = (length: number): string => Array.from({ length }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(Math.random() * 26)]).join('');

describe('discovery over the NATS micro protocol', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let client: ServiceClient;
  let caller: Picom;

  before(async () => {
    nats = await startNatsServer();
    nc = await rawConnect(nats.url);
    client = officialClient(nc);
    caller = new Picom('discovery-caller', { servers: nats.url, timeout: 3_000 });
  });

  after(async () => {
    await closeAll(caller);
    await nc?.close();
    await nats?.stop();
  });

  async function subscriptions(): Promise<SubDetail[]> {
    return (await nats.monitor<{ subscriptions_list?: SubDetail[] }>('subsz?subs=1')).subscriptions_list ?? [];
  }

  async function cidOf(name: string): Promise<number> {
    const connz = await nats.monitor<{ connections: { cid: number; name?: string }[] }>('connz');
    const found = connz.connections.filter((c) => c.name === name);
    assert.equal(found.length, 1, `one connection named ${name}`);
    return found[0]!.cid;
  }

  it('a plain Picom with two methods: ping, info and stats as the official client reads them', async () => {
    const svc = new Picom('plain', { servers: nats.url, version: '1.4.0-rc.1', description: 'two methods', metadata: { region: 'eu' } });
    try {
      await svc.expose({ add: (m: { a: number; b: number }) => m.a + m.b, 'user:get': () => ({ id: 1 }) });
      const [ping, ...otherPings] = await query(client, 'ping', 'plain');
      assert.equal(otherPings.length, 0);
      assert.equal(ping!['type'], 'io.nats.micro.v1.ping_response');
      assert.equal(ping!['name'], 'plain');
      assert.match(ping!['id'], /^[0-9A-Za-z]{22}$/);
      assert.equal(ping!['version'], '1.4.0-rc.1');
      assert.deepEqual(ping!['metadata'], { region: 'eu' });
      const [info] = await query(client, 'info', 'plain');
      assert.equal(info!['id'], ping!['id']);
      assert.equal(info!['description'], 'two methods');
      assert.deepEqual(info!['endpoints'], [
        { name: 'add', subject: 'plain.add', queue_group: 'plain', metadata: {} },
        { name: 'user_get', subject: 'plain.user:get', queue_group: 'plain', metadata: {} },
      ]);
      // Methods exposed later are listed.
      await svc.expose({ late: () => 'late' });
      const [again] = await query(client, 'info', 'plain');
      assert.deepEqual(again!['endpoints'].map((e: MicroDocument) => e['subject']), ['plain.add', 'plain.user:get', 'plain.late']);
      const [stats] = await query(client, 'stats', 'plain');
      assert.ok(Math.abs(Date.parse(stats!['started']) - Date.now()) < 60_000, 'started is now, ISO 8601');
      assert.deepEqual(stats!['endpoints'].map((e: MicroDocument) => e['name']), ['add', 'user_get', 'late', '_refused']);
      // The three forms of the subject reach it.
      assert.equal((await query(client, 'ping')).filter((d) => d['id'] === ping!['id']).length, 1);
      assert.equal((await query(client, 'stats', 'plain', ping!['id'])).length, 1);
      assert.equal((await query(client, 'info', 'plain', 'NOSUCHID')).length, 0);
    } finally {
      await svc.close();
    }
  });

  it('STATS counts calls, handler errors, bad JSON, publishes, timeouts and unknown methods exactly', async () => {
    const svc = new Picom('counted', { servers: nats.url, handlerTimeout: 300 });
    try {
      await svc.expose({
        ok: async (m: { n: number }) => {
          await sleep(2);
          return m?.n;
        },
        fail: (m: { n: number }) => {
          throw new Error(`failure ${m.n}`);
        },
        hang: () => sleep(1_500),
      });
      const N = 5;
      const M = 3;
      const K = 4;
      for (let i = 0; i < N; i++) assert.equal(await caller.request('counted.ok', { n: i }), i);
      for (let i = 0; i < M; i++) await assert.rejects(caller.request('counted.fail', { n: i }), PicomRemoteError);
      assert.equal(await rawRequest(nc, 'counted.ok', '{not json'), JSON.stringify({ error: WIRE_MESSAGES.BAD_JSON_REQUEST }));
      const unknown = Array.from({ length: K }, () => random(12));
      for (const method of unknown) await assert.rejects(caller.request(`counted.${method}`), /Method not found/);
      const timedOut = await outcome(caller.request('counted.hang'));
      assert.match(timedOut.error?.message ?? '', /did not finish within 300 ms/);
      await caller.publish('counted.ok', { n: 99 });
      let stats: MicroDocument | undefined;
      await waitUntil(async () => {
        [stats] = await query(officialClient(nc, 300), 'stats', 'counted');
        return stats?.['endpoints'][0]['num_requests'] === N + 2;
      }, { message: 'the publish is counted' });
      const [ok, fail, hang, refused] = stats!['endpoints'] as MicroDocument[];
      assert.equal(ok!['num_requests'], N + 2, 'N calls, the bad JSON request, the publish');
      assert.equal(ok!['num_errors'], 1);
      assert.equal(ok!['last_error'], WIRE_MESSAGES.BAD_JSON_REQUEST);
      assert.ok(ok!['processing_time'] >= (N + 1) * 1_000_000, 'handler time in ns: each call slept 2 ms');
      assert.equal(ok!['average_processing_time'], Math.floor(ok!['processing_time'] / ok!['num_requests']));
      assert.equal(fail!['num_requests'], M);
      assert.equal(fail!['num_errors'], M);
      assert.equal(fail!['last_error'], `failure ${M - 1}`);
      assert.ok(fail!['processing_time'] > 0);
      assert.equal(fail!['average_processing_time'], Math.floor(fail!['processing_time'] / M));
      assert.equal(hang!['num_requests'], 1);
      assert.equal(hang!['num_errors'], 1);
      assert.equal(hang!['last_error'], 'Handler for counted.hang did not finish within 300 ms');
      assert.ok(hang!['processing_time'] >= 290_000_000, 'timed out after about 300 ms');
      assert.equal(refused!['name'], '_refused');
      assert.equal(refused!['subject'], 'counted.>');
      assert.equal(refused!['num_requests'], K);
      assert.equal(refused!['num_errors'], K);
      assert.equal(refused!['last_error'], WIRE_MESSAGES.methodNotFound(unknown[K - 1]!));
      assert.deepEqual(refused!['data'], { unknown_method: K, headers_refused: 0, overloaded: 0, publishes_dropped: 0, replies_dropped: 0 });
      // The late result of the timed-out handler is not counted again.
      await sleep(1_300);
      const [later] = await query(client, 'stats', 'counted');
      assert.equal(later!['endpoints'][2]['num_requests'], 1);
    } finally {
      await svc.close();
    }
  });

  it('1,000 random method names add no endpoint and do not grow INFO or STATS', async () => {
    const svc = new Picom('flooded', { servers: nats.url });
    try {
      await svc.expose({ one: () => 1 });
      // Names long enough that every last_error is cut to the bound.
      await rawRequest(nc, `flooded.${random(250)}`);
      const [infoBefore] = await query(client, 'info', 'flooded');
      const [statsBefore] = await query(client, 'stats', 'flooded');
      await Promise.all(Array.from({ length: 1_000 }, () => rawRequest(nc, `flooded.${random(250)}`, '', 10_000)));
      const [infoAfter] = await query(client, 'info', 'flooded');
      const [statsAfter] = await query(client, 'stats', 'flooded');
      assert.deepEqual(infoAfter, infoBefore);
      assert.equal(statsAfter!['endpoints'].length, 2);
      const refused = statsAfter!['endpoints'][1];
      assert.equal(refused['num_requests'], 1_001);
      assert.equal(refused['last_error'].length, MAX_LAST_ERROR_CHARS);
      // Only the counters' digits grew: 1 → 1001 in num_requests, num_errors and data.unknown_method.
      assert.ok(JSON.stringify(statsAfter).length - JSON.stringify(statsBefore).length <= 9);
    } finally {
      await svc.close();
    }
  });

  it('a Nest PicomServer is listed alike, RpcException counted, and a new listen() is a new instance', async () => {
    let nest: NestService | undefined;
    try {
      nest = await createNestService({ controllers: [MathController] }, { service: 'nestsvc', servers: nats.url, version: '2.0.0' });
      assert.equal(await caller.request('nestsvc.sum', [1, 2, 3]), 6);
      await assert.rejects(caller.request('nestsvc.refuse'), /refused by rule/);
      const [info] = await query(client, 'info', 'nestsvc');
      assert.equal(info!['version'], '2.0.0');
      assert.deepEqual(info!['endpoints'].map((e: MicroDocument) => e['name']).sort(), ['noted', 'refuse', 'sum']);
      const [stats] = await query(client, 'stats', 'nestsvc');
      const byName = new Map((stats!['endpoints'] as MicroDocument[]).map((e) => [e['name'], e]));
      assert.equal(byName.get('sum')!['num_requests'], 1);
      assert.equal(byName.get('refuse')!['num_errors'], 1);
      assert.equal(byName.get('refuse')!['last_error'], 'refused by rule');

      await nest.server.close();
      assert.equal((await query(client, 'ping', 'nestsvc')).length, 0, 'a closed server is not listed');
      await new Promise<void>((resolve, reject) => void nest!.server.listen((err?: unknown) => (err ? reject(err) : resolve())));
      const [again] = await query(client, 'stats', 'nestsvc');
      assert.notEqual(again!['id'], stats!['id'], 'a new start is a new instance');
      assert.ok(again!['started'] >= stats!['started']);
      assert.equal(new Map((again!['endpoints'] as MicroDocument[]).map((e) => [e['name'], e])).get('sum')!['num_requests'], 0);
    } finally {
      await closeAll(nest);
    }
  });

  it('several instances, an official service and an old Picom peer: every micro service listed alike, the old peer keeps its share', async () => {
    const instances = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const svc = new Picom('multi', { servers: nats.url, name: `multi-${n}` });
        await svc.expose({ who: () => `picom-${n}` });
        return svc;
      }),
    );
    const legacyConnection = await rawConnect(nats.url);
    await startOldPicom(legacyConnection, 'multi', { who: () => 'legacy' });
    const officialConnection = await rawConnect(nats.url);
    const official = await new Svcm(officialConnection as never).add({ name: 'official', version: '1.0.0', description: 'reference', metadata: { k: 'v' } });
    official.addEndpoint('hello', (_err, msg) => void msg.respond('hi'));
    await officialConnection.flush();
    try {
      const pings = await query(client, 'ping', 'multi');
      assert.equal(pings.length, 3, 'each Picom instance answers; the old peer is not listed');
      assert.equal(new Set(pings.map((p) => p['id'])).size, 3);
      const all = await query(client, 'ping', undefined, undefined, false);
      assert.deepEqual(all.map((p) => p['name']).filter((n) => n === 'multi' || n === 'official').sort(), ['multi', 'multi', 'multi', 'official']);
      // One instance by id.
      const target = pings[1]!['id'];
      const one = await query(client, 'ping', 'multi', target);
      assert.deepEqual(one.map((p) => p['id']), [target]);
      // Ours carry what the official documents carry, field for field.
      const [officialInfo] = await query(client, 'info', 'official', undefined, false);
      const [ourInfo] = await query(client, 'info', 'multi', target);
      for (const key of Object.keys(officialInfo!)) assert.ok(key in ourInfo!, `INFO has ${key}`);
      for (const key of Object.keys(officialInfo!['endpoints'][0])) assert.ok(key in ourInfo!['endpoints'][0], `INFO endpoint has ${key}`);
      const [officialStats] = await query(client, 'stats', 'official', undefined, false);
      const [ourStats] = await query(client, 'stats', 'multi', target);
      for (const key of Object.keys(officialStats!)) assert.ok(key in ourStats!, `STATS has ${key}`);
      for (const key of Object.keys(officialStats!['endpoints'][0]).filter((k) => officialStats!['endpoints'][0][k] !== undefined)) {
        assert.ok(key in ourStats!['endpoints'][0], `STATS endpoint has ${key}`);
      }
      // The wire is unchanged: the old peer still gets its share of the queue group.
      const answers = await Promise.all(Array.from({ length: 80 }, () => caller.request<string>('multi.who')));
      assert.ok(answers.includes('legacy'), 'the old peer answered some');
      assert.ok(answers.some((a) => a.startsWith('picom-')), 'Picom instances answered some');
      // $SRV subscriptions are outside the queue group: every instance answers.
      const cid = await cidOf('multi-1');
      const mine = (await subscriptions()).filter((s) => s.cid === cid);
      const micro = mine.filter((s) => s.subject.startsWith('$SRV.'));
      assert.equal(micro.length, 3);
      assert.ok(micro.every((s) => !s.qgroup), 'no queue group on $SRV subscriptions');
      assert.deepEqual(mine.filter((s) => !s.subject.startsWith('$SRV.')).map((s) => [s.subject, s.qgroup]), [['multi.>', 'multi']]);
    } finally {
      await official.stop();
      await closeAll(...instances);
      await legacyConnection.close();
      await officialConnection.close();
    }
  });

  it('discovery: false subscribes nothing under $SRV and counts nothing', async () => {
    const svc = new Picom('quiet', { servers: nats.url, discovery: false, name: 'quiet-conn' });
    try {
      await svc.expose({ hush: () => 'ok' });
      assert.equal(await caller.request('quiet.hush'), 'ok');
      const cid = await cidOf('quiet-conn');
      const subjects = (await subscriptions()).filter((s) => s.cid === cid).map((s) => s.subject);
      assert.deepEqual(subjects, ['quiet.>']);
      assert.equal((await query(client, 'ping', 'quiet')).length, 0);
    } finally {
      await svc.close();
    }
  });

  it('close() stops listing the instance first, while in-flight handlers finish; then it no longer answers', async () => {
    const svc = new Picom('leaving', { servers: nats.url, name: 'leaving-conn' });
    await svc.expose({ bye: () => 'bye', slow: () => sleep(1_000).then(() => 'finished') });
    assert.equal((await query(client, 'ping', 'leaving')).length, 1);
    const inFlight = caller.request('leaving.slow');
    await sleep(100);
    const closing = svc.close();
    await sleep(100);
    assert.equal((await query(client, 'ping', 'leaving', undefined, true)).length, 0, 'not listed while draining');
    assert.equal(await inFlight, 'finished');
    await closing;
    assert.equal((await query(client, 'ping', 'leaving')).length, 0);
    assert.ok(!(await subscriptions()).some((s) => s.subject.endsWith('.leaving') || s.subject.includes('.leaving.')));
  });

  it('a service name the protocol cannot list serves, unlisted, with one warning', async () => {
    const logger = new CapturingLogger();
    const svc = new Picom('odd:name', { servers: nats.url, logger, name: 'odd-conn' });
    try {
      await svc.expose({ hi: () => 'hi' });
      assert.equal(await caller.request('odd:name.hi'), 'hi');
      assert.deepEqual(logger.lines.filter((l) => l.level === 'warn').map((l) => l.text), [ENDPOINT_MESSAGES.nameNotListed('odd:name')]);
      const cid = await cidOf('odd-conn');
      assert.ok(!(await subscriptions()).some((s) => s.cid === cid && s.subject.startsWith('$SRV')));
    } finally {
      await svc.close();
    }
  });
});

describe('discovery without permission to subscribe to $SRV.>', () => {
  let nats: NatsServerHandle;

  before(async () => {
    nats = await startNatsServer({
      config: `authorization {
  users = [
    { user: locked, password: locked, permissions: { subscribe: { allow: ["locked.> locked"] }, allow_responses: true } }
    { user: caller, password: caller, permissions: { subscribe: { allow: ["_INBOX.>"] }, publish: { allow: ["locked.>", "$SRV.>"] } } }
  ]
}`,
    });
  });

  after(async () => {
    await nats?.stop();
  });

  it('the service still serves, and one warning says what to allow', async () => {
    const logger = new CapturingLogger();
    const svc = new Picom('locked', { servers: nats.url, user: 'locked', pass: 'locked', logger });
    const caller = new Picom('locked-caller', { servers: nats.url, user: 'caller', pass: 'caller', timeout: 3_000 });
    try {
      await svc.expose({ open: () => 'served' });
      assert.equal(await caller.request('locked.open'), 'served');
      const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => l.text);
      assert.deepEqual(warnings, [MICRO_MESSAGES.permissionDenied('locked', '$SRV.*')]);
      assert.match(warnings[0]!, /\$SRV\.>.*discovery: false/);
      assert.equal(await caller.request('locked.open'), 'served');
    } finally {
      await closeAll(svc, caller);
    }
  });
});
