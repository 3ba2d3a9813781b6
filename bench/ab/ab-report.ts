import type { RunMeasurement, SoakMeasurement } from '../run-once.js';
import type { Scenario, Settings } from '../settings.js';
import { STACKS, usesPicom } from '../stacks/index.js';
import { fmt, label, medianOf, metric, roundRatios, soakTable, table, type Environment } from '../report.js';
import { median } from '../stats.js';
import type { ResolvedRef } from './ref-worktree.js';

/**
 * The figures of an A/B run: for each Picom stack, its medians on the working
 * tree's package (A) and on the ref's (B), and the throughput ratio
 * working tree ÷ ref, the median of the per-round ratios (the two sides of a
 * stack run back to back within each round).
 */

/** What was compared: the tags in the run ids (`<stack>@<tag>`) and the commits behind them. */
export interface AbIdentity {
  readonly work: { readonly tag: string; readonly sha: string; readonly short: string; readonly dirty: boolean };
  readonly ref: ResolvedRef & { readonly tag: string };
}

/** Medians over the rounds: calls/s, ms, MiB (the units of `report.ts`'s metrics). */
export interface AbFigures {
  throughput: number;
  p50: number;
  p99: number;
  /** CPU per call of each side, µs: the figure that holds when the processes have machines of their own. */
  clientCpu: number;
  serverCpu: number;
  clientRss: number;
  serverRss: number;
}

export interface AbComparison {
  readonly stack: string;
  readonly work: AbFigures;
  readonly ref: AbFigures;
  /** Throughput, working tree ÷ ref: median of `rounds`. */
  readonly ratio: number;
  /** Per-round throughput ratios, working tree ÷ ref. */
  readonly rounds: number[];
  readonly errors: number;
  readonly wrongResults: number;
}

const FIGURES = ['throughput', 'p50', 'p99', 'clientCpu', 'serverCpu', 'clientRss', 'serverRss'] as const;

function figures(runs: readonly RunMeasurement[], scenario: string, id: string): AbFigures {
  const out = {} as AbFigures;
  for (const key of FIGURES) out[key] = medianOf(runs, scenario, id, metric(key));
  return out;
}

/** The comparison of one stack in one scenario; `undefined` when neither side ran. */
export function compareStack(runs: readonly RunMeasurement[], scenario: string, stack: string, ab: AbIdentity): AbComparison | undefined {
  const workId = `${stack}@${ab.work.tag}`;
  const refId = `${stack}@${ab.ref.tag}`;
  const mine = runs.filter((r) => r.scenario === scenario && (r.stack === workId || r.stack === refId));
  if (mine.length === 0) return undefined;
  const rounds = roundRatios(runs, scenario, workId, refId, metric('throughput'));
  return {
    stack,
    work: figures(runs, scenario, workId),
    ref: figures(runs, scenario, refId),
    ratio: median(rounds),
    rounds,
    errors: mine.reduce((n, r) => n + r.errors, 0),
    wrongResults: mine.reduce((n, r) => n + r.wrongResults, 0),
  };
}

/** Every comparison of a run, for the JSON: scenario → stack → comparison. */
export function abSummary(runs: readonly RunMeasurement[], ab: AbIdentity): Record<string, Record<string, AbComparison>> {
  const out: Record<string, Record<string, AbComparison>> = {};
  for (const scenario of new Set(runs.map((r) => r.scenario))) {
    const perStack: Record<string, AbComparison> = {};
    for (const stack of STACKS.filter(usesPicom)) {
      const comparison = compareStack(runs, scenario, stack.id, ab);
      if (comparison) perStack[stack.id] = comparison;
    }
    out[scenario] = perStack;
  }
  return out;
}

function pair(a: number, b: number, digits: number): string {
  return `${fmt(a, digits)} / ${fmt(b, digits)}`;
}

function range(values: readonly number[]): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '–';
  return finite.length === 1 ? finite[0]!.toFixed(3) : `${Math.min(...finite).toFixed(3)} – ${Math.max(...finite).toFixed(3)}`;
}

/** One scenario's A/B table: a row per Picom stack. */
export function abTable(scenario: Scenario, runs: readonly RunMeasurement[], ab: AbIdentity): string {
  const latency = scenario.latencyCalls > 0;
  const ref = ab.ref.short;
  const header = [
    'Stack',
    'calls/s, working tree',
    `calls/s, ${ref}`,
    `**working tree ÷ ${ref}**`,
    'per round',
    ...(latency ? ['p50 ms, work / ref', 'p99 ms, work / ref'] : []),
    'client CPU µs/call, work / ref',
    'server CPU µs/call, work / ref',
    'server RSS MiB, work / ref',
    'client RSS MiB, work / ref',
  ];
  const rows: string[][] = [];
  for (const stack of STACKS.filter(usesPicom)) {
    const c = compareStack(runs, scenario.id, stack.id, ab);
    if (!c) continue;
    const warning = c.errors || c.wrongResults ? ` ⚠ ${c.errors} errors, ${c.wrongResults} wrong results` : '';
    rows.push([
      `${stack.label} (\`${stack.id}\`)${warning}`,
      fmt(c.work.throughput),
      fmt(c.ref.throughput),
      Number.isFinite(c.ratio) ? `**${c.ratio.toFixed(3)}**` : '–',
      range(c.rounds),
      ...(latency ? [pair(c.work.p50, c.ref.p50, 3), pair(c.work.p99, c.ref.p99, 3)] : []),
      pair(c.work.clientCpu, c.ref.clientCpu, 1),
      pair(c.work.serverCpu, c.ref.serverCpu, 1),
      pair(c.work.serverRss, c.ref.serverRss, 1),
      pair(c.work.clientRss, c.ref.clientRss, 1),
    ]);
  }
  return table(header, rows);
}

/** The stacks run once per round (raw nats.js, Nest's transport), in one line. */
export function baselineLine(scenario: Scenario, runs: readonly RunMeasurement[]): string | undefined {
  const parts: string[] = [];
  for (const stack of STACKS.filter((s) => !usesPicom(s))) {
    if (!runs.some((r) => r.scenario === scenario.id && r.stack === stack.id)) continue;
    const calls = fmt(medianOf(runs, scenario.id, stack.id, metric('throughput')));
    const latency =
      scenario.latencyCalls > 0
        ? `, p50 ${fmt(medianOf(runs, scenario.id, stack.id, metric('p50')), 3)} ms, p99 ${fmt(medianOf(runs, scenario.id, stack.id, metric('p99')), 3)} ms`
        : '';
    parts.push(`${label(stack.id)} ${calls} calls/s${latency}`);
  }
  return parts.length === 0 ? undefined : `Run once per round, on neither build: ${parts.join('; ')}.`;
}

export function renderAbMarkdown(
  settings: Settings,
  env: Environment,
  ab: AbIdentity,
  runs: readonly RunMeasurement[],
  soaks: readonly SoakMeasurement[],
): string {
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join('/');
  const work = `HEAD ${ab.work.short}${ab.work.dirty ? ' with uncommitted changes' : ''}`;
  const ref = ab.ref.ref === ab.ref.short ? ab.ref.short : `\`${ab.ref.ref}\` = ${ab.ref.short}`;
  const parts: string[] = [
    `# Picom A/B benchmark: working tree ÷ ${ab.ref.short}`,
    '',
    `${env.date} · Node ${env.node} · nats-server ${env.natsServer} · nats.js ${env.natsJs} · NestJS ${env.nest} · ` +
      `${env.cores}× ${env.cpu} · load ${load(env.loadBefore)} before, ${load(env.loadAfter)} after`,
    '',
    `A: the working tree's package (${work}), run ids \`<stack>@${ab.work.tag}\`. ` +
      `B: the package of ${ref}, built in a temporary worktree, run ids \`<stack>@${ab.ref.tag}\`. ` +
      "Both sides run the working tree's bench stacks; only their `picom` and `picom/nest` imports differ.",
    '',
    `Medians over interleaved rounds (${settings.scenarios.map((s) => `${s.id}: ${s.rounds}`).join(', ')}); ` +
      `throughput over ${settings.durationMs} ms windows after ${settings.warmupMs} ms of warm-up. ` +
      `**working tree ÷ ${ab.ref.short}** is the median of the per-round throughput ratios (the two sides of a stack ` +
      'run back to back in each round, in alternating order): above 1 the working tree makes more calls per second. ' +
      'Each "work / ref" cell gives the working tree first.',
  ];
  for (const scenario of settings.scenarios) {
    if (!runs.some((r) => r.scenario === scenario.id)) continue;
    parts.push('', `## ${scenario.label}`, '', abTable(scenario, runs, ab));
    const baseline = baselineLine(scenario, runs);
    if (baseline) parts.push('', baseline);
  }
  if (soaks.length > 0) {
    parts.push('', '## Heap soak (after full GCs, `--expose-gc`)', '', soakTable(soaks));
  }
  parts.push('');
  return parts.join('\n');
}
