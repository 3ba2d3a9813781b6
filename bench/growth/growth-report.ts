import { STACKS } from '../stacks/index.js';
import { renderGrowthSvg, type GrowthLine, type GrowthPanel } from './growth-svg.js';
import { GROWTH_NATS_CONFIG, PAYLOAD_BYTES_IN_FLIGHT, type GrowthSettings } from './growth-settings.js';
import { FANOUT_STACK, type PendingPoint, type ThroughputPoint } from './growth-runs.js';

/** Everything one growth run measured: what growth.json holds. */
export interface GrowthResults {
  settings: GrowthSettings;
  environment: { date: string; node: string; natsServer: string; loadBefore: number[]; loadAfter: number[] };
  inflight: ThroughputPoint[];
  pending: PendingPoint[];
  methods: ThroughputPoint[];
  services: ThroughputPoint[];
  payload: ThroughputPoint[];
  failures: string[];
}

const MIB = 1024 * 1024;
/** Pending-call counts below this are in the table but not in the heap plot. */
const HEAP_PLOT_MIN_PENDING = 1000;

function label(stack: string): string {
  return [...STACKS, FANOUT_STACK].find((s) => s.id === stack)?.label ?? stack;
}

function stacksOf(points: readonly { stack: string }[]): string[] {
  return [...new Set(points.map((p) => p.stack))];
}

function xsOf<P>(points: readonly P[], x: (p: P) => number): number[] {
  return [...new Set(points.map(x))].sort((a, b) => a - b);
}

function int(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : Math.round(value).toLocaleString('en-US');
}

function fixed(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function bytes(n: number): string {
  if (n >= MIB) return `${n / MIB} MiB`;
  if (n >= 1024) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** A table with one row per x and, per stack, the columns `cells` gives. */
function table<P extends { stack: string }>(
  points: readonly P[],
  x: (p: P) => number,
  xHeader: string,
  xText: (x: number) => string,
  columns: readonly [header: string, cell: (p: P) => string][],
): string {
  const stacks = stacksOf(points);
  const header = [xHeader, ...stacks.flatMap((s) => columns.map(([h]) => `${label(s)}: ${h}`))];
  const rows = xsOf(points, x).map((value) => [
    xText(value),
    ...stacks.flatMap((s) => {
      const point = points.find((p) => p.stack === s && x(p) === value);
      return columns.map(([, cell]) => (point ? cell(point) : '–'));
    }),
  ]);
  return [`| ${header.join(' | ')} |`, `| :-- | ${header.slice(1).map(() => '--:').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** One series' section of growth.md: heading, what it holds fixed, its table. */
function section(title: string, intro: string, body: string): string[] {
  return [`## ${title}`, '', intro, '', body, ''];
}

const calls = (p: ThroughputPoint): string => `${int(p.throughput)}${p.errors ? ` (${p.errors} errors)` : ''}`;

/** growth.md: the tables, the settings behind them and what each series holds fixed. */
export function renderGrowthMarkdown(results: GrowthResults): string {
  const { settings: s, environment: env } = results;
  const out = [
    '# How cost grows',
    '',
    s.smoke ? '**Smoke run: short windows, one round; the figures only show that the series run, not what they cost.**\n' : '',
    `Run of ${env.date} (Node ${env.node}, nats-server ${env.natsServer}, load ${env.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ` +
      `${env.loadAfter.map((l) => l.toFixed(2)).join(' ')} after); one round, ${s.warmupMs} ms warm-up and ${s.durationMs} ms windows, ` +
      `pending-call CPU windows of ${s.windowMs} ms. nats-server config: \`${GROWTH_NATS_CONFIG.trim().replace(/\n/g, '; ')}\`. ` +
      'Curves: [growth.svg](growth.svg).',
    '',
  ];
  if (results.inflight.length) {
    out.push(
      ...section(
        'Calls in flight (one client process)',
        '`add({a,b})`; the Picom server has no `maxConcurrency` (unlimited by default), so nothing queues or drops in it; calls time out after 10 s.',
        table(results.inflight, (p) => p.x, 'in flight', int, [
          ['calls/s', calls],
          ['client CPU/call (µs)', (p) => fixed(p.clientCpuPerCall)],
          ['client RSS (MiB)', (p) => fixed(p.clientRssPeak / MIB)],
        ]),
      ),
    );
  }
  if (results.pending.length) {
    out.push(
      ...section(
        'Pending calls (no traffic)',
        'N calls to a method that never answers, timeout 10 min. Heap: `heapUsed` after two `gc()` with N pending minus the same warm and idle, ' +
          'over N. CPU: the client process over a window with nothing in flight, then with N pending and no traffic; the difference is what ' +
          'keeping them costs (Picom: its one deadline timer, asleep until the earliest deadline; raw nats.js: a timer per call). ' +
          'Below about a thousand calls the heap per call is GC noise (tens of KB over N); the plot starts at 1 000.',
        table(results.pending, (p) => p.pending, 'pending', int, [
          ['heap/call (B)', (p) => int(p.heapPerCall)],
          ['CPU idle (µs/s)', (p) => int(p.cpuIdlePerSecond)],
          ['CPU pending (µs/s)', (p) => int(p.cpuPendingPerSecond)],
        ]),
      ),
    );
  }
  for (const [points, title, what] of [
    [results.methods, 'Methods per service (one service)', 'methods'],
    [results.services, 'Services per process (one method each; one `Picom`, so one connection, per service)', 'services'],
  ] as const) {
    if (!points.length) continue;
    out.push(
      ...section(
        title,
        'Plain Picom, 1 000 calls in flight, spread over every method of every service in turn.',
        table(points, (p) => p.x, what, int, [
          ['calls/s', calls],
          ['server CPU/call (µs)', (p) => fixed(p.serverCpuPerCall)],
          ['server RSS peak (MiB)', (p) => fixed(p.serverRssPeak / MIB)],
        ]),
      ),
    );
  }
  if (results.payload.length) {
    out.push(
      ...section(
        'Payload size',
        `The request carries the payload as JSON and the reply echoes it. Calls in flight: 1 000, fewer above 16 KiB so that ${bytes(PAYLOAD_BYTES_IN_FLIGHT)} ` +
          'are in flight each way (256 KiB: 64, 1 MiB: 16). MiB/s counts one way. max_payload raised to 8 MB so 1 MiB plus headers fits.',
        table(results.payload, (p) => p.x, 'payload', bytes, [
          ['calls/s', calls],
          ['MiB/s', (p) => fixed(p.mibPerSecond)],
        ]),
      ),
    );
  }
  if (results.failures.length) out.push('## Failed points', '', ...results.failures.map((f) => `- ${f}`), '');
  return out.join('\n');
}

function lines<P extends { stack: string }>(points: readonly P[], x: (p: P) => number, y: (p: P) => number, name = label): GrowthLine[] {
  return stacksOf(points).map((stack) => ({
    name: name(stack),
    points: points.filter((p) => p.stack === stack).map((p) => ({ x: x(p), y: y(p) })),
  }));
}

/** growth.svg: one panel per measured quantity. */
export function renderGrowthPlot(results: GrowthResults): string {
  const panels: GrowthPanel[] = [];
  if (results.inflight.length) {
    panels.push({ title: 'Throughput by calls in flight', xLabel: 'calls in flight', yLabel: 'calls/s', lines: lines(results.inflight, (p) => p.x, (p) => p.throughput) });
  }
  if (results.pending.length) {
    // Below a thousand calls the heap's own noise (tens of KB after a GC) swamps the per-call figure.
    const counted = results.pending.filter((p) => p.pending >= HEAP_PLOT_MIN_PENDING);
    panels.push({ title: 'Heap per pending call', xLabel: 'calls pending', yLabel: 'bytes per call', lines: lines(counted, (p) => p.pending, (p) => p.heapPerCall) });
    panels.push({
      title: 'Client CPU with calls pending, no traffic',
      xLabel: 'calls pending',
      yLabel: 'µs CPU per second',
      lines: lines(results.pending, (p) => p.pending, (p) => p.cpuPendingPerSecond),
    });
  }
  const fanout = [
    ...results.methods.map((p) => ({ ...p, stack: 'methods per service' })),
    ...results.services.map((p) => ({ ...p, stack: 'services per process' })),
  ];
  if (fanout.length) {
    const same = (s: string): string => s;
    panels.push({ title: 'Plain Picom throughput by methods / services', xLabel: 'methods or services', yLabel: 'calls/s', lines: lines(fanout, (p) => p.x, (p) => p.throughput, same) });
    panels.push({ title: 'Plain Picom server RSS by methods / services', xLabel: 'methods or services', yLabel: 'MiB', lines: lines(fanout, (p) => p.x, (p) => p.serverRssPeak / MIB, same) });
  }
  if (results.payload.length) {
    panels.push({ title: 'Payload throughput (one way)', xLabel: 'payload bytes', yLabel: 'MiB/s', lines: lines(results.payload, (p) => p.x, (p) => p.mibPerSecond) });
  }
  return renderGrowthSvg(panels, `How cost grows (${results.environment.date.slice(0, 10)}${results.settings.smoke ? ', smoke run: not final figures' : ''})`);
}
