import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateTargets } from '../../bench/report.js';
import type { RunMeasurement } from '../../bench/run-once.js';

const MiB = 1024 * 1024;

function run(stack: string, scenario: string, serverRss: number, extra: Partial<RunMeasurement> = {}): RunMeasurement {
  return {
    stack,
    scenario,
    round: 1,
    throughput: 1000,
    clientCpuPerCall: 10,
    serverCpuPerCall: 5,
    brokerCpuPerCall: 4,
    clientRssPeak: 100 * MiB,
    serverRssPeak: serverRss * MiB,
    windowMs: 1000,
    errors: 0,
    wrongResults: 0,
    ...extra,
  };
}

const target = (runs: RunMeasurement[], name: string) => evaluateTargets(runs, []).find((t) => t.target === name)!;
const SERVER_RSS = 'Plain path server RSS ≤ 1.3× raw limit at every size';

describe('targets that hold at every size', () => {
  it('take the worst size, and say which sizes were measured', () => {
    const sizes = ['small', 'kib1', 'large', 'kib64'];
    const runs = sizes.flatMap((s, i) => [run('raw-fast', s, 60), run('picom-plain', s, i === 2 ? 90 : 66)]);
    const result = target(runs, SERVER_RSS);
    assert.equal(result.met, false);
    assert.equal(result.measured, 'worst 1.50× (small 1.10×, kib1 1.10×, large 1.50×, kib64 1.10×)');
    runs[5] = run('picom-plain', 'large', 72);
    assert.equal(target(runs, SERVER_RSS).met, true);
  });

  it('are not met on a partial run only when a measured size already fails them', () => {
    const within = [run('raw-fast', 'small', 60), run('picom-plain', 'small', 66)];
    assert.equal(target(within, SERVER_RSS).met, undefined);
    const over = [run('raw-fast', 'small', 60), run('picom-plain', 'small', 90)];
    assert.equal(target(over, SERVER_RSS).met, false);
    assert.equal(target([], SERVER_RSS).measured, 'not measured');
  });

  it('judge per-side CPU against raw nats.js', () => {
    const runs = [run('raw-fast', 'small', 60, { clientCpuPerCall: 20 }), run('picom-nest', 'small', 60, { clientCpuPerCall: 9 })];
    assert.equal(target(runs, 'Nest path client CPU/call ≤ 0.5× raw limit').met, true);
    runs[1] = run('picom-nest', 'small', 60, { clientCpuPerCall: 11 });
    assert.equal(target(runs, 'Nest path client CPU/call ≤ 0.5× raw limit').met, false);
  });
});
