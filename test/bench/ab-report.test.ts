import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abSummary, abTable, baselineLine, compareStack, type AbIdentity } from '../../bench/ab/ab-report.js';
import type { RunMeasurement } from '../../bench/run-once.js';
import type { Scenario } from '../../bench/settings.js';

const MiB = 1024 * 1024;
const ab: AbIdentity = {
  work: { tag: 'HEAD', sha: 'f'.repeat(40), short: 'fffffff', dirty: false },
  ref: { ref: 'main', sha: 'a'.repeat(40), short: 'abc1234', tag: 'abc1234' },
};
const small: Scenario = { id: 'small', label: 'small', clients: 1, inFlight: 1000, payloadBytes: 0, latencyWarmup: 1, latencyCalls: 10, rounds: 3 };

function run(stack: string, round: number, throughput: number, extra: Partial<RunMeasurement> = {}): RunMeasurement {
  return {
    stack,
    scenario: 'small',
    round,
    throughput,
    clientCpuPerCall: 10,
    serverCpuPerCall: 5,
    brokerCpuPerCall: 4,
    clientRssPeak: 100 * MiB,
    serverRssPeak: 80 * MiB,
    windowMs: 1000,
    latency: { p50: 0.25, p90: 0.5, p99: 1.5, mean: 0.3, max: 3, count: 10 },
    errors: 0,
    wrongResults: 0,
    ...extra,
  };
}

// The load differs from round to round: the median of the per-round ratios
// (1.1) is not the ratio of the medians (90 / 100).
const runs: RunMeasurement[] = [
  run('raw-fast', 1, 50),
  run('picom-plain@HEAD', 1, 110),
  run('picom-plain@abc1234', 1, 100, { serverCpuPerCall: 7 }),
  run('raw-fast', 2, 40),
  run('picom-plain@abc1234', 2, 50),
  run('picom-plain@HEAD', 2, 60, { errors: 2 }),
  run('raw-fast', 3, 60),
  run('picom-plain@HEAD', 3, 90, { serverRssPeak: 90 * MiB }),
  run('picom-plain@abc1234', 3, 120, { serverCpuPerCall: 6 }),
];

describe('A/B comparison', () => {
  it('takes working tree ÷ ref per round and the median of those', () => {
    const c = compareStack(runs, 'small', 'picom-plain', ab)!;
    assert.deepEqual(c.rounds.map((r) => r.toFixed(3)), ['1.100', '1.200', '0.750']);
    assert.equal(c.ratio.toFixed(3), '1.100');
    assert.equal(c.work.throughput, 90);
    assert.equal(c.ref.throughput, 100);
    assert.equal(c.work.serverRss, 80);
    assert.equal(c.work.p99, 1.5);
    assert.equal(c.ref.serverCpu, 6);
    assert.equal(c.work.clientCpu, 10);
    assert.equal(c.errors, 2);
  });

  it('has nothing for a stack that did not run, and summarizes only the Picom stacks', () => {
    assert.equal(compareStack(runs, 'small', 'picom-nest', ab), undefined);
    assert.deepEqual(Object.keys(abSummary(runs, ab)['small']!), ['picom-plain']);
  });

  it('prints one row per Picom stack, both sides, the ratio, latency, CPU per call of each side and RSS in MiB', () => {
    const lines = abTable(small, runs, ab).split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /calls\/s, working tree \| calls\/s, abc1234 \| \*\*working tree ÷ abc1234\*\* \| per round/);
    assert.equal(
      lines[2],
      '| Picom, plain path (`picom-plain`) ⚠ 2 errors, 0 wrong results | 90 | 100 | **1.100** | 0.750 – 1.200 | 0.250 / 0.250 | 1.500 / 1.500 | 10.0 / 10.0 | 5.0 / 6.0 | 80.0 / 80.0 | 100.0 / 100.0 |',
    );
  });

  it('leaves the latency columns out of a scenario without sequential calls', () => {
    const header = abTable({ ...small, latencyCalls: 0 }, runs, ab).split('\n')[0]!;
    assert.ok(!header.includes('p50'));
    assert.match(header, /server RSS MiB, work \/ ref/);
  });

  it('reports the baseline stacks once, on neither build', () => {
    assert.equal(baselineLine(small, runs), 'Run once per round, on neither build: raw nats.js, noAsyncTraces (limit) 50 calls/s, p50 0.250 ms, p99 1.500 ms.');
  });
});
