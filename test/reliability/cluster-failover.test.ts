import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomStatus } from 'picom';
import { PicomClient } from 'picom/nest';
import { startCluster, waitUntil, type NatsClusterHandle, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { outcome, sleep, startTestService, within, type Outcome, type TestService, type WorkReply } from '../fixtures/picom-test.helpers.js';

const TIMEOUT = 1_000;
const EVERY_MS = 10;
/**
 * nats.js waits `reconnectTimeWait` (2 s) after its last connect to a server
 * before dialling it again, and the dead node comes first in the pool: a node
 * killed sooner than 2 s after the endpoints connected adds that wait to the
 * failover. Long-lived connections are the case to measure.
 */
const BEFORE_KILL_MS = 2_500;
const AFTER_KILL_MS = 4_000;

interface Sent {
  caller: string;
  at: number;
  result: Promise<Outcome<WorkReply>>;
}

/**
 * Three routed nats-server nodes; on each, one instance of the service and
 * one caller, each given only its own node's address (the others are learnt
 * from the cluster). One node is killed under steady traffic.
 */
describe('cluster failover (3 nodes, one killed under steady traffic)', () => {
  let cluster: NatsClusterHandle;
  let nodes: [NatsServerHandle, NatsServerHandle, NatsServerHandle];
  const services: { name: string; close: () => Promise<void>; on: (e: 'reconnect' | 'disconnect', l: (s: string) => void) => void }[] = [];
  const callers: { name: string; call: (id: number) => Promise<WorkReply>; close: () => Promise<void>; on: (e: 'reconnect' | 'disconnect', l: (s: string) => void) => void }[] = [];
  let plainService: Picom;

  before(async () => {
    cluster = await startCluster(3);
    nodes = cluster.nodes as typeof nodes;
    const [a, b, c] = nodes;
    // Services: Nest on A and B, plain Picom on C.
    for (const [name, node] of [['service@A', a], ['service@B', b]] as const) {
      const app: TestService = await startTestService({ service: 'failover', servers: node.url, retries: -1 }, { instance: name, delay: 5 });
      services.push({ name, close: app.close, on: (e, l) => app.server.on(e, l) });
    }
    plainService = new Picom('failover', { servers: c.url, retries: -1 });
    await plainService.expose({ work: async (m: { id: number }) => ({ id: m.id, instance: 'service@C' }) });
    services.push({ name: 'service@C', close: () => plainService.close(), on: (e, l) => plainService.on(e, l) });

    // Callers: PicomClient on A and C, plain Picom on B.
    for (const [name, node] of [['caller@A', a], ['caller@C', c]] as const) {
      const client = new PicomClient({ servers: node.url, timeout: TIMEOUT, retries: -1 });
      await client.connect();
      callers.push({ name, call: (id) => firstValueFrom(client.send<WorkReply>('failover.work', { id })), close: () => client.close(), on: (e, l) => client.on(e, l) });
    }
    const plainCaller = new Picom('failover-caller', { servers: b.url, timeout: TIMEOUT, retries: -1 });
    await plainCaller.connect();
    callers.push({ name: 'caller@B', call: (id) => plainCaller.request<WorkReply>('failover.work', { id }), close: () => plainCaller.close(), on: (e, l) => plainCaller.on(e, l) });

    // Every node knows of the queue group before traffic starts.
    await waitUntil(
      async () => {
        for (const node of nodes) {
          const subsz = await node.monitor<{ num_subscriptions: number }>('subsz');
          if (subsz.num_subscriptions < 3) return false;
        }
        const warm = await Promise.all(callers.map((c, i) => outcome(c.call(-1 - i))));
        return warm.every((r) => r.ok);
      },
      { timeout: 10_000, interval: 100, message: 'the cluster never served every caller' },
    );
  });

  after(async () => {
    for (const c of callers) await c.close().catch(() => undefined);
    for (const s of services) await s.close().catch(() => undefined);
    await cluster?.stopAll();
  });

  it('traffic continues through the other nodes; failed calls and recovery time are measured', async (t) => {
    const [a] = nodes;
    const reconnects: { who: string; server: string; at: number }[] = [];
    const disconnects: { who: string; at: number }[] = [];
    for (const endpoint of [...services, ...callers]) {
      endpoint.on('reconnect', (server) => reconnects.push({ who: endpoint.name, server, at: performance.now() }));
      endpoint.on('disconnect', () => disconnects.push({ who: endpoint.name, at: performance.now() }));
    }

    const sent: Sent[] = [];
    let id = 0;
    const start = performance.now();
    let killedAt = 0;
    const driving = (async () => {
      while (performance.now() - start < BEFORE_KILL_MS + AFTER_KILL_MS) {
        for (const caller of callers) {
          sent.push({ caller: caller.name, at: performance.now(), result: outcome(caller.call(id++)) });
        }
        await sleep(EVERY_MS);
      }
    })();
    await sleep(BEFORE_KILL_MS);
    killedAt = performance.now();
    await a.kill();
    await driving;
    const results = await within(Promise.all(sent.map((s) => s.result)), TIMEOUT + 5_000, 'calls');

    const failed = sent.filter((_, i) => !results[i]?.ok);
    const beforeKill = sent.filter((s) => s.at < killedAt);
    assert.ok(
      beforeKill.every((s) => results[sent.indexOf(s)]?.ok || s.at > killedAt - TIMEOUT),
      'calls failed before the kill',
    );
    const kinds = new Map<string, number>();
    for (const [i, f] of failed.entries()) {
      const error = results[sent.indexOf(f)]?.error;
      assert.ok(error instanceof Error, `failed call ${i}: ${String(error)}`);
      kinds.set(error.name, (kinds.get(error.name) ?? 0) + 1);
    }
    // Recovery: from the kill to the first call after which every call succeeded.
    const lastFailure = failed.reduce((latest, s) => Math.max(latest, s.at), killedAt);
    const recoveryMs = lastFailure - killedAt;
    const afterRecovery = sent.filter((s) => s.at > lastFailure);
    assert.ok(afterRecovery.length > 0, 'calls kept failing to the end');
    assert.ok(recoveryMs < 3_000, `recovered ${recoveryMs.toFixed(0)} ms after the kill`);
    assert.ok(failed.length < sent.length * 0.05, `${failed.length} of ${sent.length} calls failed`);
    // Every caller is served again at the end, including the one whose node died.
    for (const caller of callers) {
      const last = sent.filter((s) => s.caller === caller.name).slice(-20);
      const ok = await Promise.all(last.map((s) => s.result));
      assert.ok(ok.every((r) => r.ok), `${caller.name} still failing at the end`);
    }
    // The endpoints that were on A moved to B or C.
    await waitUntil(() => ['service@A', 'caller@A'].every((who) => reconnects.some((r) => r.who === who)), {
      timeout: 5_000,
      message: () => `reconnects: ${JSON.stringify(reconnects.map((r) => r.who))}`,
    });
    for (const r of reconnects) {
      assert.notEqual(r.server, a.hostport, `${r.who} reconnected to the dead node`);
    }
    assert.equal(plainService.status, PicomStatus.CONNECTED);
    const reconnectMs = Math.max(...reconnects.map((r) => r.at)) - killedAt;
    const detectedMs = Math.max(...disconnects.map((d) => d.at)) - killedAt;
    const failures = [...kinds].map(([name, n]) => `${n} ${name}`).join(', ');
    const byCaller = callers
      .map((c) => `${c.name} ${failed.filter((f) => f.caller === c.name).length}/${sent.filter((s) => s.caller === c.name).length}`)
      .join(', ');
    t.diagnostic(
      `cluster failover: ${failed.length} of ${sent.length} calls failed (${byCaller}; ${failures}); ` +
        `traffic recovered ${recoveryMs.toFixed(0)} ms after the kill (last failed call sent then); ` +
        `the loss was noticed within ${detectedMs.toFixed(0)} ms and ${reconnects.length} endpoints reconnected to surviving nodes within ${reconnectMs.toFixed(0)} ms (${reconnects.map((r) => r.who).join(', ')})`,
    );
  });
});
