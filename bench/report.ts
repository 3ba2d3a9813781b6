import type { RunMeasurement, SoakMeasurement } from './run-once.js';
import { TOTAL_IN_FLIGHT as TOTAL, type Scenario, type Settings } from './settings.js';
import { BASELINE, STACKS } from './stacks/index.js';
import { median, ratio } from './stats.js';

/**
 * Turns runs into figures: per scenario and stack, the median of each metric
 * over the rounds, and its ratio to a reference stack. A ratio is the median
 * of the per-round ratios (each round runs every stack back to back, so a
 * round's ratio compares stacks under the same machine load), not the ratio
 * of the two medians.
 */

const MiB = 1024 * 1024;

export interface Metric {
  readonly id: string;
  readonly header: string;
  readonly digits: number;
  /** Only for scenarios that time sequential calls. */
  readonly latency?: boolean;
  pick(run: RunMeasurement): number | undefined;
}

export const METRICS: readonly Metric[] = [
  { id: 'throughput', header: 'Throughput (calls/s)', digits: 0, pick: (r) => r.throughput },
  { id: 'p50', header: 'p50 (ms)', digits: 3, latency: true, pick: (r) => r.latency?.p50 },
  { id: 'p99', header: 'p99 (ms)', digits: 3, latency: true, pick: (r) => r.latency?.p99 },
  { id: 'clientCpu', header: 'Client CPU/call (µs)', digits: 1, pick: (r) => r.clientCpuPerCall },
  { id: 'serverCpu', header: 'Server CPU/call (µs)', digits: 1, pick: (r) => r.serverCpuPerCall },
  { id: 'brokerCpu', header: 'nats-server CPU/call (µs)', digits: 1, pick: (r) => r.brokerCpuPerCall },
  { id: 'clientRss', header: 'Client RSS peak (MiB)', digits: 1, pick: (r) => r.clientRssPeak / MiB },
  { id: 'serverRss', header: 'Server RSS peak (MiB)', digits: 1, pick: (r) => r.serverRssPeak / MiB },
];

export function metric(id: string): Metric {
  return METRICS.find((m) => m.id === id)!;
}

export interface TargetResult {
  target: string;
  measured: string;
  met: boolean | undefined;
}

export interface Environment {
  date: string;
  node: string;
  natsServer: string;
  natsJs: string;
  nest: string;
  cpu: string;
  cores: number;
  loadBefore: number[];
  loadAfter: number[];
}

/** Median of a metric over the rounds of one stack in one scenario. */
export function medianOf(runs: readonly RunMeasurement[], scenario: string, stack: string, m: Metric): number {
  return median(runs.filter((r) => r.scenario === scenario && r.stack === stack).map((r) => m.pick(r) ?? NaN));
}

/** `stack / reference` of each round that measured both, in round order. */
export function roundRatios(runs: readonly RunMeasurement[], scenario: string, stack: string, reference: string, m: Metric): number[] {
  const ratios: number[] = [];
  for (const run of runs) {
    if (run.scenario !== scenario || run.stack !== stack) continue;
    const ref = runs.find((r) => r.scenario === scenario && r.stack === reference && r.round === run.round);
    if (ref) ratios.push(ratio(m.pick(run) ?? NaN, m.pick(ref) ?? NaN));
  }
  return ratios;
}

/** Median over rounds of `stack / reference` within the same round. */
export function pairedRatio(runs: readonly RunMeasurement[], scenario: string, stack: string, reference: string, m: Metric): number {
  return median(roundRatios(runs, scenario, stack, reference, m));
}

/** The figures of a run, for the JSON: scenario → stack → metric → { median, ratio to the baseline }. */
export function summarize(runs: readonly RunMeasurement[]): Record<string, Record<string, Record<string, { median: number; ratio: number }>>> {
  const out: Record<string, Record<string, Record<string, { median: number; ratio: number }>>> = {};
  for (const scenario of new Set(runs.map((r) => r.scenario))) {
    const perStack: Record<string, Record<string, { median: number; ratio: number }>> = {};
    for (const { id } of STACKS) {
      if (!runs.some((r) => r.scenario === scenario && r.stack === id)) continue;
      const figures: Record<string, { median: number; ratio: number }> = {};
      for (const m of METRICS) {
        figures[m.id] = { median: medianOf(runs, scenario, id, m), ratio: pairedRatio(runs, scenario, id, BASELINE, m) };
      }
      perStack[id] = figures;
    }
    out[scenario] = perStack;
  }
  return out;
}

export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The table label of a stack id, or of an A/B run's `<stack>@<tag>`. */
export function label(id: string): string {
  const at = id.indexOf('@');
  const stack = at < 0 ? id : id.slice(0, at);
  const name = STACKS.find((s) => s.id === stack)?.label ?? stack;
  return at < 0 ? name : `${name} @${id.slice(at + 1)}`;
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? ':--' : '--:'))), ...rows.map(line)].join('\n');
}

export function scenarioTable(scenario: Scenario, runs: readonly RunMeasurement[]): string {
  const metrics = METRICS.filter((m) => !m.latency || scenario.latencyCalls > 0);
  const stacks = STACKS.map((s) => s.id).filter((id) => runs.some((r) => r.scenario === scenario.id && r.stack === id));
  const rows = stacks.map((id) => {
    const mine = runs.filter((r) => r.scenario === scenario.id && r.stack === id);
    const errors = mine.reduce((n, r) => n + r.errors, 0);
    const wrong = mine.reduce((n, r) => n + r.wrongResults, 0);
    const name = label(id) + (errors || wrong ? ` ⚠ ${errors} errors, ${wrong} wrong results` : '');
    return [
      name,
      ...metrics.map((m) => {
        const value = medianOf(runs, scenario.id, id, m);
        const r = pairedRatio(runs, scenario.id, id, BASELINE, m);
        return Number.isFinite(r) ? `${fmt(value, m.digits)} (${r.toFixed(2)}×)` : fmt(value, m.digits);
      }),
    ];
  });
  return table(['Stack', ...metrics.map((m) => m.header)], rows);
}

export function soakTable(soaks: readonly SoakMeasurement[]): string {
  const kib = (bytes: number): string => fmt(bytes / 1024, 0);
  return table(
    ['Stack', 'Calls', 'Client heap before → after (KiB)', 'Server heap before → after (KiB)', 'Errors'],
    soaks.map((s) => [
      label(s.stack),
      fmt(s.calls),
      `${kib(s.clientHeapBefore)} → ${kib(s.clientHeapAfter)} (${signed(s.clientHeapAfter - s.clientHeapBefore)})`,
      `${kib(s.serverHeapBefore)} → ${kib(s.serverHeapAfter)} (${signed(s.serverHeapAfter - s.serverHeapBefore)})`,
      fmt(s.errors),
    ]),
  );
}

function signed(bytes: number): string {
  const k = bytes / 1024;
  return `${k >= 0 ? '+' : ''}${fmt(k, 0)} KiB`;
}

/** The one-client scenarios, smallest payload first: "at every size". */
const SIZES = ['small', 'kib1', 'large', 'kib64'] as const;

/** Heap growth tolerated over a soak: under 1 byte per call, i.e. no per-call leak (the smallest would be 16+ bytes). */
const SOAK_TOLERANCE_PER_CALL = 1;

export function evaluateTargets(runs: readonly RunMeasurement[], soaks: readonly SoakMeasurement[]): TargetResult[] {
  const out: TargetResult[] = [];
  const compare = (target: string, stack: string, reference: string, metricId: string, bound: number, atLeast: boolean, scenario = 'small'): void => {
    const m = metric(metricId);
    const r = pairedRatio(runs, scenario, stack, reference, m);
    const a = medianOf(runs, scenario, stack, m);
    const b = medianOf(runs, scenario, reference, m);
    const unit = m.header.replace(/^.*\((.*)\)$/, '$1');
    out.push({
      target,
      measured: Number.isFinite(r) ? `${r.toFixed(2)}× (medians ${fmt(a, m.digits)} vs ${fmt(b, m.digits)} ${unit})` : 'not measured',
      met: Number.isFinite(r) ? (atLeast ? r >= bound : r <= bound) : undefined,
    });
  };
  // The third performance round: asynchronous handlers, every payload size, each side's CPU and memory.
  /** A bound that holds at every one-client size: the worst of the sizes measured, and where. */
  const worst = (target: string, stack: string, metricId: string, bound: number): void => {
    const m = metric(metricId);
    const measured = SIZES.map((scenario) => ({ scenario, r: pairedRatio(runs, scenario, stack, BASELINE, m) })).filter((x) => Number.isFinite(x.r));
    if (measured.length === 0) {
      out.push({ target, measured: 'not measured', met: undefined });
      return;
    }
    const top = measured.reduce((a, b) => (b.r > a.r ? b : a));
    const sizes = measured.map((x) => `${x.scenario} ${x.r.toFixed(2)}×`).join(', ');
    out.push({ target, measured: `worst ${top.r.toFixed(2)}× (${sizes})`, met: measured.length === SIZES.length ? top.r <= bound : top.r <= bound ? undefined : false });
  };
  compare('Plain path throughput ≥ 2.4× raw limit', 'picom-plain', BASELINE, 'throughput', 2.4, true);
  compare('Nest path throughput ≥ 2.2× raw limit', 'picom-nest', BASELINE, 'throughput', 2.2, true);
  compare('Nest path throughput ≥ 3.5× Nest Transport.NATS', 'picom-nest', 'nest-nats', 'throughput', 3.5, true);
  compare('Plain path p99 ≤ 1.0× raw limit', 'picom-plain', BASELINE, 'p99', 1.0, false);
  compare('Nest path p99 ≤ 1.0× raw limit', 'picom-nest', BASELINE, 'p99', 1.0, false);
  compare('10 KiB: plain path throughput ≥ 1.3× raw limit', 'picom-plain', BASELINE, 'throughput', 1.3, true, 'large');
  compare('10 KiB: Nest path throughput ≥ 1.25× raw limit', 'picom-nest', BASELINE, 'throughput', 1.25, true, 'large');
  compare('64 KiB: plain path throughput ≥ 1.0× raw limit', 'picom-plain', BASELINE, 'throughput', 1.0, true, 'kib64');
  compare('64 KiB: Nest path throughput ≥ 1.0× raw limit', 'picom-nest', BASELINE, 'throughput', 1.0, true, 'kib64');
  for (const [path, stack] of [['Plain', 'picom-plain'], ['Nest', 'picom-nest']] as const) {
    worst(`${path} path server RSS ≤ 1.3× raw limit at every size`, stack, 'serverRss', 1.3);
    worst(`${path} path client RSS ≤ 1.2× raw limit at every size`, stack, 'clientRss', 1.2);
    compare(`${path} path client CPU/call ≤ 0.5× raw limit`, stack, BASELINE, 'clientCpu', 0.5, false);
    compare(`10 KiB: ${path} path client CPU/call ≤ 0.75× raw limit`, stack, BASELINE, 'clientCpu', 0.75, false, 'large');
  }
  worst('Plain path server CPU/call ≤ 1.0× raw limit at every size', 'picom-plain', 'serverCpu', 1.0);
  compare('Nest path server CPU/call ≤ 1.3× raw limit', 'picom-nest', BASELINE, 'serverCpu', 1.3, false);
  // Run only when the -bare stacks are named (bench/README.md, "What discovery and tracing cost together").
  compare('Discovery on, tracing without SDK: Nest path ≥ 0.97× both off', 'picom-nest', 'picom-nest-bare', 'throughput', 0.97, true);
  compare('Discovery on, tracing without SDK: plain path ≥ 0.97× both off', 'picom-plain', 'picom-plain-bare', 'throughput', 0.97, true);

  const checks = runs
    .filter((r) => r.timeouts && r.stack.startsWith('picom'))
    .flatMap((r) => r.timeouts!.map((t) => ({ ...t, stack: r.stack })));
  if (checks.length > 0) {
    const late = checks.map((t) => t.elapsedMs - t.timeoutMs);
    const unexpected = checks.find((t) => !t.error.startsWith('PicomTimeoutError'));
    const earliest = Math.min(...late);
    const worst = Math.max(...late);
    out.push({
      target: 'Timeouts fire within T..T+100 ms',
      measured:
        `${checks.length} calls (T = ${[...new Set(checks.map((c) => c.timeoutMs))].join('/')} ms): ` +
        `${fmt(earliest, 1)}..${fmt(worst, 1)} ms after T${unexpected ? `; unexpected: ${unexpected.error}` : ''}`,
      met: !unexpected && earliest >= 0 && worst <= 100,
    });
  } else {
    out.push({ target: 'Timeouts fire within T..T+100 ms', measured: 'not measured', met: undefined });
  }
  if (soaks.length > 0) {
    const growths = soaks.flatMap((s) => [
      { who: `${s.stack} client`, growth: s.clientHeapAfter - s.clientHeapBefore, calls: s.calls },
      { who: `${s.stack} server`, growth: s.serverHeapAfter - s.serverHeapBefore, calls: s.calls },
    ]);
    const worst = growths.reduce((a, b) => (b.growth > a.growth ? b : a));
    out.push({
      target: `No heap growth over ${fmt(soaks[0]!.calls)} calls (< ${SOAK_TOLERANCE_PER_CALL} byte/call)`,
      measured: `largest: ${worst.who} ${signed(worst.growth)}`,
      met: growths.every((g) => g.growth < g.calls * SOAK_TOLERANCE_PER_CALL) && soaks.every((s) => s.errors === 0),
    });
  } else {
    out.push({ target: 'No heap growth over 1,000,000 calls', measured: 'not measured (run without --quick, or with --soak)', met: undefined });
  }
  return out;
}

export function targetsTable(targets: readonly TargetResult[]): string {
  return table(
    ['Target', 'Measured', 'Met'],
    targets.map((t) => [t.target, t.measured, t.met === undefined ? '–' : t.met ? 'yes' : '**no**']),
  );
}

/**
 * A short section for the main README: the small scenario's key figures and a
 * paragraph whose numbers come from the same run.
 */
export function performanceSection(settings: Settings, runs: readonly RunMeasurement[]): string | undefined {
  const scenario = settings.scenarios.find((s) => s.id === 'small');
  const has = (id: string): boolean => runs.some((r) => r.scenario === 'small' && r.stack === id);
  if (!scenario || ![BASELINE, 'nest-nats', 'picom-nest', 'picom-plain'].every(has)) {
    return undefined;
  }
  const pick = ['throughput', 'p99', 'clientCpu', 'serverCpu', 'serverRss'].map(metric);
  const stacks = STACKS.map((s) => s.id).filter(has);
  const rows = stacks.map((id) => [
    label(id),
    ...pick.map((m) => {
      const value = medianOf(runs, 'small', id, m);
      const r = pairedRatio(runs, 'small', id, BASELINE, m);
      return `${fmt(value, m.digits)} (${r.toFixed(2)}×)`;
    }),
  ]);
  const x = (id: string, ref: string, m: string): string => pairedRatio(runs, 'small', id, ref, metric(m)).toFixed(2);
  return [
    '## Performance',
    '',
    `Request/reply of a small JSON call (\`add({a,b})\`), ${fmt(TOTAL)} calls in flight, client and server in separate ` +
      `processes on one local nats-server; medians of ${scenario.rounds} interleaved rounds, each figure with its ` +
      'ratio to raw nats.js (`nc.request()` with `noAsyncTraces`, its fastest setting). `npm run bench` reproduces ' +
      'it; [bench/README.md](bench/README.md) explains the figures.',
    '',
    table(['Stack', ...pick.map((m) => m.header)], rows),
    '',
    `Picom's plain path answers ${x('picom-plain', BASELINE, 'throughput')}× the calls per second of raw nats.js, ` +
      `its Nest path ${x('picom-nest', BASELINE, 'throughput')}× (${x('picom-nest', 'nest-nats', 'throughput')}× Nest's ` +
      `own NATS transport), at ${x('picom-plain', BASELINE, 'p99')}× and ${x('picom-nest', BASELINE, 'p99')}× raw's p99. ` +
      'A Picom caller keeps one wildcard inbox subscription, a map of pending calls and one deadline timer, ' +
      'and hands nats.js bytes it encoded once; `nc.request()` allocates a timer, a promise race and an `Error` with ' +
      "a captured stack for every call, and Nest's transport subscribes a new inbox per call.",
  ].join('\n');
}

export function renderMarkdown(
  settings: Settings,
  env: Environment,
  runs: readonly RunMeasurement[],
  soaks: readonly SoakMeasurement[],
  targets: readonly TargetResult[],
): string {
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join('/');
  const parts: string[] = [
    `# Picom benchmark (${settings.mode}${settings.profileDir ? ', profiled' : ''})`,
    '',
    `${env.date} · Node ${env.node} · nats-server ${env.natsServer} · nats.js ${env.natsJs} · NestJS ${env.nest} · ` +
      `${env.cores}× ${env.cpu} · load ${load(env.loadBefore)} before, ${load(env.loadAfter)} after`,
    '',
    `Medians over interleaved rounds (${settings.scenarios.map((s) => `${s.id}: ${s.rounds}`).join(', ')}); ` +
      `throughput over ${settings.durationMs} ms windows after ${settings.warmupMs} ms of warm-up. ` +
      `Each figure is followed by its ratio to \`${BASELINE}\` (raw nats.js with noAsyncTraces, the limit), ` +
      'the median of the per-round ratios. Throughput: higher is better; latency, CPU and RSS: lower is better.',
  ];
  for (const scenario of settings.scenarios) {
    if (!runs.some((r) => r.scenario === scenario.id)) continue;
    parts.push('', `## ${scenario.label}`, '', scenarioTable(scenario, runs));
  }
  if (soaks.length > 0) {
    parts.push('', '## Heap soak (after full GCs, `--expose-gc`)', '', soakTable(soaks));
  }
  parts.push('', '## Targets', '', targetsTable(targets));
  if (settings.mode === 'quick') {
    parts.push(
      '',
      '_Quick mode: short windows, one or two rounds and only a few hundred timed calls (its p99 is the 6th slowest ' +
        'call, right after the throughput phase): a smoke test. The targets are checked by the full run._',
    );
  }
  const performance = performanceSection(settings, runs);
  if (performance) {
    parts.push('', '---', '', performance);
  }
  parts.push('');
  return parts.join('\n');
}
