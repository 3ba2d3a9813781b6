import type { RunMeasurement, SoakMeasurement } from './run-once.js';
import type { Scenario, Settings } from './settings.js';
import { BASELINE, STACKS } from './stacks/index.js';
import { median, ratio } from './stats.js';

/** Medians over the rounds of one stack in one scenario. */
export interface StackSummary {
  stack: string;
  rounds: number;
  throughput: number;
  p50: number;
  p99: number;
  clientCpuPerCall: number;
  serverCpuPerCall: number;
  brokerCpuPerCall: number;
  clientRssPeak: number;
  serverRssPeak: number;
  errors: number;
  wrongResults: number;
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

export function summarize(runs: readonly RunMeasurement[], scenario: string): Map<string, StackSummary> {
  const out = new Map<string, StackSummary>();
  for (const { id } of STACKS) {
    const mine = runs.filter((r) => r.scenario === scenario && r.stack === id);
    if (mine.length === 0) continue;
    const med = (pick: (r: RunMeasurement) => number | undefined): number => median(mine.map((r) => pick(r) ?? NaN));
    out.set(id, {
      stack: id,
      rounds: mine.length,
      throughput: med((r) => r.throughput),
      p50: med((r) => r.latency?.p50),
      p99: med((r) => r.latency?.p99),
      clientCpuPerCall: med((r) => r.clientCpuPerCall),
      serverCpuPerCall: med((r) => r.serverCpuPerCall),
      brokerCpuPerCall: med((r) => r.brokerCpuPerCall),
      clientRssPeak: med((r) => r.clientRssPeak),
      serverRssPeak: med((r) => r.serverRssPeak),
      errors: mine.reduce((n, r) => n + r.errors, 0),
      wrongResults: mine.reduce((n, r) => n + r.wrongResults, 0),
    });
  }
  return out;
}

const MiB = 1024 * 1024;

function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function withRatio(value: number, base: number, digits = 0): string {
  const r = ratio(value, base);
  return Number.isFinite(r) ? `${fmt(value, digits)} (${r.toFixed(2)}×)` : fmt(value, digits);
}

function label(id: string): string {
  return STACKS.find((s) => s.id === id)?.label ?? id;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? ':--' : '--:'))), ...rows.map(line)].join('\n');
}

export function scenarioTable(scenario: Scenario, summary: Map<string, StackSummary>): string {
  const base = summary.get(BASELINE);
  const b = (pick: (s: StackSummary) => number): number => (base ? pick(base) : NaN);
  const withLatency = scenario.latencyCalls > 0;
  const header = ['Stack', 'Throughput (calls/s)'];
  if (withLatency) header.push('p50 (ms)', 'p99 (ms)');
  header.push('Client CPU/call (µs)', 'Server CPU/call (µs)', 'nats-server CPU/call (µs)', 'Client RSS peak (MiB)', 'Server RSS peak (MiB)');
  const rows = [...summary.values()].map((s) => {
    const row = [label(s.stack) + (s.errors || s.wrongResults ? ` ⚠ ${s.errors} errors, ${s.wrongResults} wrong` : ''), withRatio(s.throughput, b((x) => x.throughput))];
    if (withLatency) row.push(withRatio(s.p50, b((x) => x.p50), 3), withRatio(s.p99, b((x) => x.p99), 3));
    row.push(
      withRatio(s.clientCpuPerCall, b((x) => x.clientCpuPerCall), 1),
      withRatio(s.serverCpuPerCall, b((x) => x.serverCpuPerCall), 1),
      withRatio(s.brokerCpuPerCall, b((x) => x.brokerCpuPerCall), 1),
      withRatio(s.clientRssPeak / MiB, b((x) => x.clientRssPeak / MiB), 1),
      withRatio(s.serverRssPeak / MiB, b((x) => x.serverRssPeak / MiB), 1),
    );
    return row;
  });
  return table(header, rows);
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

/** Heap growth tolerated over a soak: under 1 byte per call, i.e. no per-call leak. */
const SOAK_TOLERANCE_PER_CALL = 1;

export function evaluateTargets(
  runs: readonly RunMeasurement[],
  soaks: readonly SoakMeasurement[],
): TargetResult[] {
  const small = summarize(runs, 'small');
  const get = (id: string): StackSummary | undefined => small.get(id);
  const out: TargetResult[] = [];
  const atLeast = (target: string, a: number, b: number, min: number, what: string): void => {
    const r = ratio(a, b);
    out.push({ target, measured: Number.isFinite(r) ? `${r.toFixed(2)}× (${what})` : 'not measured', met: Number.isFinite(r) ? r >= min : undefined });
  };
  const atMost = (target: string, a: number, b: number, max: number, what: string): void => {
    const r = ratio(a, b);
    out.push({ target, measured: Number.isFinite(r) ? `${r.toFixed(2)}× (${what})` : 'not measured', met: Number.isFinite(r) ? r <= max : undefined });
  };
  const raw = get(BASELINE);
  const nestNats = get('nest-nats');
  const pNest = get('picom-nest');
  const pPlain = get('picom-plain');
  const n = (s: StackSummary | undefined, pick: (s: StackSummary) => number): number => (s ? pick(s) : NaN);
  const thr = (s: StackSummary): number => s.throughput;
  const p99 = (s: StackSummary): number => s.p99;
  atLeast('Nest path throughput ≥ 1.6× raw limit', n(pNest, thr), n(raw, thr), 1.6, `${fmt(n(pNest, thr))} vs ${fmt(n(raw, thr))} calls/s`);
  atLeast('Nest path throughput ≥ 3× Nest Transport.NATS', n(pNest, thr), n(nestNats, thr), 3, `${fmt(n(pNest, thr))} vs ${fmt(n(nestNats, thr))} calls/s`);
  atLeast('Plain path throughput ≥ 1.6× raw limit', n(pPlain, thr), n(raw, thr), 1.6, `${fmt(n(pPlain, thr))} vs ${fmt(n(raw, thr))} calls/s`);
  atMost('Nest path p99 ≤ 1.1× raw limit', n(pNest, p99), n(raw, p99), 1.1, `${fmt(n(pNest, p99), 3)} vs ${fmt(n(raw, p99), 3)} ms`);
  atMost('Plain path p99 ≤ 1.1× raw limit', n(pPlain, p99), n(raw, p99), 1.1, `${fmt(n(pPlain, p99), 3)} vs ${fmt(n(raw, p99), 3)} ms`);
  const rss = (s: StackSummary): number => s.serverRssPeak / MiB;
  atMost('Nest path server RSS ≤ 1.2× Nest Transport.NATS', n(pNest, rss), n(nestNats, rss), 1.2, `${fmt(n(pNest, rss), 1)} vs ${fmt(n(nestNats, rss), 1)} MiB`);

  const checks = runs.filter((r) => r.timeouts && r.stack.startsWith('picom')).flatMap((r) => r.timeouts!.map((t) => ({ ...t, stack: r.stack })));
  if (checks.length > 0) {
    const late = checks.map((t) => t.elapsedMs - t.timeoutMs);
    const allTimeouts = checks.every((t) => t.error.startsWith('PicomTimeoutError'));
    const worst = Math.max(...late);
    const earliest = Math.min(...late);
    out.push({
      target: 'Timeouts fire within T..T+100 ms',
      measured: `${checks.length} calls (T = ${[...new Set(checks.map((c) => c.timeoutMs))].join('/')} ms): ${fmt(earliest, 1)}..${fmt(worst, 1)} ms after T${allTimeouts ? '' : `; unexpected: ${checks.find((t) => !t.error.startsWith('PicomTimeoutError'))?.error}`}`,
      met: allTimeouts && earliest >= 0 && worst <= 100,
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

export function renderMarkdown(
  settings: Settings,
  env: Environment,
  runs: readonly RunMeasurement[],
  soaks: readonly SoakMeasurement[],
  targets: readonly TargetResult[],
): string {
  const parts: string[] = [];
  parts.push(
    `# Picom benchmark (${settings.mode}${settings.profileDir ? ', profiled' : ''})`,
    '',
    `${env.date} · Node ${env.node} · nats-server ${env.natsServer} · nats.js ${env.natsJs} · NestJS ${env.nest} · ${env.cores}× ${env.cpu} · load ${env.loadBefore.map((l) => l.toFixed(2)).join('/')} before, ${env.loadAfter.map((l) => l.toFixed(2)).join('/')} after`,
    '',
    `Medians of interleaved rounds (${settings.scenarios.map((s) => `${s.id}: ${s.rounds}`).join(', ')}); throughput over ${settings.durationMs} ms windows after ${settings.warmupMs} ms of warm-up. ` +
      `Every figure is followed by its ratio to \`${BASELINE}\` (raw nats.js with noAsyncTraces, the limit). ` +
      'Throughput: higher is better; latency, CPU and RSS: lower is better.',
  );
  for (const scenario of settings.scenarios) {
    const summary = summarize(runs, scenario.id);
    if (summary.size === 0) continue;
    parts.push('', `## ${scenario.label}`, '', scenarioTable(scenario, summary));
  }
  if (soaks.length > 0) {
    parts.push('', '## Heap soak (after full GCs, `--expose-gc`)', '', soakTable(soaks));
  }
  parts.push('', '## Targets', '', targetsTable(targets), '');
  return parts.join('\n');
}
