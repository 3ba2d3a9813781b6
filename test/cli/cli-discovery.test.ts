import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Service } from '@nats-io/services';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { rawConnect } from '../fixtures/raw-nats.fixture.js';
import { startMicroService } from '../fixtures/micro-service.fixture.js';
import { assertExit, rowsOf, runPicom } from '../fixtures/cli.fixture.js';

/**
 * `picom ls|info|stats|ping` as a child process against services made with
 * the official `@nats-io/services`, shaped like Picom services: alpha with two
 * instances of different versions, beta with one. Other services may answer
 * too (Picom services once they serve $SRV): rows are found by name.
 */

const WAIT = ['--timeout', '300'];

describe('picom ls, info, stats, ping', () => {
  let nats: NatsServerHandle;
  let connections: NatsConnection[] = [];
  const services: Service[] = [];
  let servers: string[];

  before(async () => {
    nats = await startNatsServer();
    servers = ['--servers', nats.url];
    connections = await Promise.all([rawConnect(nats.url), rawConnect(nats.url), rawConnect(nats.url)]);
    services.push(
      await startMicroService(connections[0]!, { name: 'alpha', version: '1.0.0', description: 'adds things', methods: ['add', 'sub'] }),
      await startMicroService(connections[1]!, { name: 'alpha', version: '1.1.0', description: 'adds things', methods: ['add', 'sub'] }),
      await startMicroService(connections[2]!, { name: 'beta', version: '2.0.0', methods: ['get', 'bad'], failing: ['bad'] }),
    );
    const nc = connections[0]!;
    for (let i = 0; i < 3; i++) await nc.request('beta.get', `{"i":${i}}`, { timeout: 2_000 });
    await nc.request('beta.bad', '{}', { timeout: 2_000 });
  });

  after(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await Promise.all(connections.map((nc) => nc.close()));
    await nats?.stop();
  });

  it('ls (servers from PICOM_SERVERS): one row per service with versions, instance count, methods, description', async () => {
    const run = await runPicom(['ls', ...WAIT], { env: { PICOM_SERVERS: nats.url } });
    assertExit(run, 0, 'ls');
    assert.match(run.stdout, /^SERVICE\s+VERSION\s+INSTANCES\s+METHODS\s+DESCRIPTION$/m);
    assert.deepEqual(rowsOf(run.stdout, 'alpha'), [['alpha', '1.0.0, 1.1.0', '2', 'add, sub', 'adds things']]);
    assert.deepEqual(rowsOf(run.stdout, 'beta'), [['beta', '2.0.0', '1', 'get, bad']]);
  });

  it('ls --json: the same, for scripts', async () => {
    const run = await runPicom(['ls', '--json', ...WAIT, ...servers]);
    assertExit(run, 0, 'ls --json');
    const list = JSON.parse(run.stdout) as { name: string }[];
    assert.deepEqual(
      list.find((s) => s.name === 'alpha'),
      { name: 'alpha', versions: ['1.0.0', '1.1.0'], instances: 2, methods: ['add', 'sub'], description: 'adds things' },
    );
    assert.deepEqual(list.find((s) => s.name === 'beta'), { name: 'beta', versions: ['2.0.0'], instances: 1, methods: ['get', 'bad'], description: '' });
  });

  it('info: each instance with its methods, subjects and queue groups', async () => {
    const run = await runPicom(['info', 'alpha', ...WAIT, ...servers]);
    assertExit(run, 0, 'info');
    assert.match(run.stdout, /^alpha: adds things$/m);
    const rows = run.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s{2,}/))
      .filter((cells) => cells.length === 5 && cells[0] !== 'INSTANCE');
    assert.equal(rows.length, 4, run.stdout);
    assert.equal(new Set(rows.map((r) => r[0])).size, 2, 'two instances');
    assert.deepEqual(rows.map((r) => r.slice(1)).sort(), [
      ['1.0.0', 'add', 'alpha.add', 'alpha'],
      ['1.0.0', 'sub', 'alpha.sub', 'alpha'],
      ['1.1.0', 'add', 'alpha.add', 'alpha'],
      ['1.1.0', 'sub', 'alpha.sub', 'alpha'],
    ]);
    const json = await runPicom(['info', 'alpha', '--json', ...WAIT, ...servers]);
    assertExit(json, 0, 'info --json');
    const docs = JSON.parse(json.stdout) as { type: string; endpoints: unknown[] }[];
    assert.equal(docs.length, 2);
    assert.ok(docs.every((d) => d.type === 'io.nats.micro.v1.info_response' && d.endpoints.length === 2));
  });

  it('info --id: only that instance', async () => {
    const all = JSON.parse((await runPicom(['ping', 'alpha', '--json', ...WAIT, ...servers])).stdout) as { id: string; version: string }[];
    const wanted = all.find((i) => i.version === '1.1.0')!;
    const run = await runPicom(['info', 'alpha', '--id', wanted.id, '--json', ...WAIT, ...servers]);
    assertExit(run, 0, 'info --id');
    assert.deepEqual((JSON.parse(run.stdout) as { id: string }[]).map((d) => d.id), [wanted.id]);
  });

  it('stats: requests, errors, average and last error per instance and method', async () => {
    const run = await runPicom(['stats', 'beta', ...WAIT, ...servers]);
    assertExit(run, 0, 'stats');
    assert.match(run.stdout, /^INSTANCE\s+METHOD\s+REQUESTS\s+ERRORS\s+AVERAGE\s+LAST ERROR$/m);
    const lines = run.stdout.split('\n');
    const get = lines.find((l) => /\sget\s/.test(l))!.trim().split(/\s{2,}/);
    assert.deepEqual([get[1], get[2], get[3]], ['get', '3', '0'], run.stdout);
    assert.match(get[4]!, /^\d+(\.\d+)? (µs|ms|s)$/, 'average with a unit');
    const bad = lines.find((l) => /\sbad\s/.test(l))!.trim().split(/\s{2,}/);
    assert.deepEqual([bad[1], bad[2], bad[3]], ['bad', '1', '1'], run.stdout);
    assert.match(bad[5]!, /bad failed on purpose/);
    const json = await runPicom(['stats', 'beta', '--json', ...WAIT, ...servers]);
    assertExit(json, 0, 'stats --json');
    const [doc] = JSON.parse(json.stdout) as { endpoints: { name: string; num_requests: number; average_processing_time: number }[] }[];
    assert.equal(doc!.endpoints.find((e) => e.name === 'get')!.num_requests, 3);
  });

  it('ping without a service: every instance with its rtt; with one: only its instances', async () => {
    const all = await runPicom(['ping', ...WAIT, ...servers]);
    assertExit(all, 0, 'ping');
    assert.match(all.stdout, /^SERVICE\s+INSTANCE\s+VERSION\s+RTT$/m);
    assert.equal(rowsOf(all.stdout, 'alpha').length, 2);
    assert.equal(rowsOf(all.stdout, 'beta').length, 1);
    for (const row of [...rowsOf(all.stdout, 'alpha'), ...rowsOf(all.stdout, 'beta')]) {
      assert.match(row[3]!, /^\d+(\.\d+)? (µs|ms)$/, `rtt ${row[3]}`);
    }
    const one = await runPicom(['ping', 'beta', '--json', ...WAIT, ...servers]);
    assertExit(one, 0, 'ping beta');
    const list = JSON.parse(one.stdout) as { name: string; version: string; rtt_ms: number }[];
    assert.deepEqual(list.map((i) => [i.name, i.version]), [['beta', '2.0.0']]);
    assert.ok(list[0]!.rtt_ms >= 0);
  });

  it('info, stats and ping of a service nobody runs: exit 3, said on stderr, at once', async () => {
    for (const command of ['info', 'stats', 'ping']) {
      const run = await runPicom([command, 'nobody', '--timeout', '5s', ...servers]);
      assertExit(run, 3, `${command} nobody`);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /no instance of nobody answered/);
      assert.ok(run.ms < 4_000, `${command} took ${run.ms.toFixed(0)} ms with no responders`);
    }
  });

  it('an invalid service name or --timeout: exit 2', async () => {
    const bad = await runPicom(['info', 'a.b', ...servers]);
    assertExit(bad, 2, 'info a.b');
    assert.match(bad.stderr, /Invalid service name "a\.b"/);
    const timeout = await runPicom(['ping', '--timeout', 'soon', ...servers]);
    assertExit(timeout, 2, '--timeout soon');
    assert.match(timeout.stderr, /invalid --timeout "soon"/);
  });
});
