import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { Picom } from 'picom';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, createNestService, type NestService } from '../fixtures/nest-app.fixture.js';
import { rawConnect, sleep, startOldPicom } from '../fixtures/raw-nats.fixture.js';

/**
 * One service name served by four kinds of instances at once: two Nest apps
 * on PicomServer, one plain Picom and one "old Picom" (raw nats.js replying
 * legacy envelopes). NATS's queue group must spread the calls over all of
 * them, each call handled by exactly one and answered exactly once.
 */

const SERVICE = 'worker';
const N = 400;
/** Per instance: the request ids it handled, in order. */
const handled = new Map<string, number[]>();

function record(instance: string, id: number): { id: number; by: string } {
  let list = handled.get(instance);
  if (!list) handled.set(instance, (list = []));
  list.push(id);
  return { id, by: instance };
}

function nestController(instance: string) {
  @Controller()
  class WorkController {
    @MessagePattern('work')
    async work(@Payload() data: { id: number }) {
      await sleep(data.id % 3);
      return record(instance, data.id);
    }

    @MessagePattern('whoami')
    whoami() {
      return instance;
    }
  }
  return WorkController;
}

describe('load balancing across mixed Nest, plain and old Picom instances of one service', () => {
  let nats: NatsServerHandle;
  let nestA: NestService;
  let nestB: NestService;
  let plain: Picom;
  let oldConn: NatsConnection;
  let caller: Picom;

  before(async () => {
    nats = await startNatsServer();
    nestA = await createNestService({ controllers: [nestController('nest-a')] }, { service: SERVICE, servers: [nats.url] });
    nestB = await createNestService({ controllers: [nestController('nest-b')] }, { service: SERVICE, servers: [nats.url] });
    plain = new Picom(SERVICE, { servers: [nats.url] });
    await plain.expose({
      work: async (msg: { id: number }) => {
        await sleep(msg.id % 3);
        return record('plain', msg.id);
      },
      whoami: () => 'plain',
    });
    oldConn = await rawConnect(nats.url);
    await startOldPicom(oldConn, SERVICE, {
      work: async (msg: { id: number }) => {
        await sleep(msg.id % 3);
        return record('old', msg.id);
      },
      whoami: () => 'old',
    });
    caller = new Picom('lbcaller', { servers: [nats.url], timeout: 10_000 });
  });

  after(async () => {
    await closeAll(caller, plain, nestA, nestB);
    await oldConn?.close();
    await nats?.stop();
  });

  it('all four instances share the one queue group', async () => {
    const subsz = await nats.monitor<{ subscriptions_list?: { subject: string; qgroup?: string }[] }>('subsz?subs=1');
    const members = (subsz.subscriptions_list ?? []).filter((s) => s.subject === `${SERVICE}.>`);
    assert.equal(members.length, 4, JSON.stringify(members));
    assert.ok(members.every((s) => s.qgroup === SERVICE), JSON.stringify(members));
  });

  it(`${N} requests: each answered exactly once, by one instance, every instance took some`, async () => {
    handled.clear();
    const replies = await Promise.all(
      Array.from({ length: N }, (_, id) => caller.request<{ id: number; by: string }>(`${SERVICE}.work`, { id })),
    );
    // Every caller got the answer to its own request.
    replies.forEach((reply, id) => assert.equal(reply.id, id, `request ${id} got the reply to ${reply.id}`));
    // Give a duplicate delivery the chance to show up before counting.
    await sleep(200);
    const counts = Object.fromEntries([...handled].map(([instance, ids]) => [instance, ids.length]));
    const all = [...handled.values()].flat();
    assert.equal(all.length, N, `handled ${all.length} times for ${N} requests: ${JSON.stringify(counts)}`);
    assert.equal(new Set(all).size, N, 'some request was handled twice and another never');
    assert.deepEqual([...new Set(all)].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));
    for (const instance of ['nest-a', 'nest-b', 'plain', 'old']) {
      assert.ok((handled.get(instance)?.length ?? 0) > 0, `${instance} handled nothing: ${JSON.stringify(counts)}`);
    }
    // The instance that handled a request is the one that answered it.
    for (const reply of replies) {
      assert.ok(handled.get(reply.by)?.includes(reply.id), `${reply.by} answered ${reply.id} it did not handle`);
    }
  });

  it('publishes are balanced too: each runs on exactly one instance', async () => {
    handled.clear();
    for (let id = 0; id < 100; id++) {
      await caller.publish(`${SERVICE}.work`, { id });
    }
    const deadline = Date.now() + 5_000;
    while ([...handled.values()].flat().length < 100 && Date.now() < deadline) {
      await sleep(20);
    }
    await sleep(200);
    const all = [...handled.values()].flat();
    assert.equal(all.length, 100);
    assert.equal(new Set(all).size, 100);
  });

  it('when one instance closes, the others answer everything', async () => {
    await nestB.close();
    handled.clear();
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, id) => caller.request<{ id: number; by: string }>(`${SERVICE}.work`, { id })),
    );
    assert.equal(replies.length, 100);
    assert.equal(handled.get('nest-b')?.length ?? 0, 0, 'a closed instance still received requests');
    assert.equal([...handled.values()].flat().length, 100);
  });
});
