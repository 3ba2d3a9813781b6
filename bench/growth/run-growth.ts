/**
 * The growth bench (`npm run bench:growth`): how throughput, memory and CPU
 * change with calls in flight, calls pending, methods, services and payload
 * size. Writes bench/results/growth.{json,md,svg}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchUsageError } from '../command-line.js';
import { startNatsServer, type BenchNatsServer } from '../nats-server.js';
import { findStack } from '../stacks/index.js';
import { renderGrowthMarkdown, renderGrowthPlot, type GrowthResults } from './growth-report.js';
import { FANOUT_STACK, measurePending, measureThroughput, type PendingPoint, type ThroughputPoint } from './growth-runs.js';
import {
  FANOUT_IN_FLIGHT,
  GROWTH_NATS_CONFIG,
  IN_FLIGHT_POINTS,
  METHOD_POINTS,
  PAYLOAD_POINTS,
  parseGrowthSettings,
  payloadInFlight,
  SERVICE_POINTS,
  type GrowthSettings,
} from './growth-settings.js';

// build/bench/growth → the source tree's bench/results.
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'results');

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Runs `measure`, logs the point, and records a failure instead of stopping the run. */
async function point<P>(results: GrowthResults, name: string, measure: () => Promise<P>, describe: (p: P) => string): Promise<P | undefined> {
  const t0 = Date.now();
  try {
    const p = await measure();
    log(`[${name}] ${describe(p)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return p;
  } catch (err) {
    const message = `${name}: ${(err as Error).message}`;
    results.failures.push(message);
    log(`[${name}] FAILED: ${(err as Error).message}`);
    return undefined;
  }
}

const describeThroughput = (p: ThroughputPoint): string =>
  `${Math.round(p.throughput)} calls/s, ${p.mibPerSecond.toFixed(1)} MiB/s, server RSS ${(p.serverRssPeak / 1048576).toFixed(1)} MiB${p.errors ? `, ${p.errors} errors (${p.firstError})` : ''}`;
const describePending = (p: PendingPoint): string =>
  `${Math.round(p.heapPerCall)} B/call, CPU ${Math.round(p.cpuIdlePerSecond)} → ${Math.round(p.cpuPendingPerSecond)} µs/s`;

async function runSeries(settings: GrowthSettings, nats: BenchNatsServer, results: GrowthResults): Promise<void> {
  const keep = <P>(list: P[], p: P | undefined): void => {
    if (p !== undefined) list.push(p);
  };
  const inFlightPoints = IN_FLIGHT_POINTS.filter((n) => n <= settings.maxInFlight);
  // Stacks run back to back at each point, so a point compares them under the same load.
  if (settings.series.includes('inflight')) {
    for (const n of inFlightPoints) {
      for (const id of settings.stacks) {
        keep(results.inflight, await point(results, `inflight ${n} ${id}`, () => measureThroughput(findStack(id), n, n, 0, settings, nats), describeThroughput));
      }
    }
  }
  if (settings.series.includes('pending')) {
    for (const n of inFlightPoints) {
      for (const id of settings.stacks) {
        keep(results.pending, await point(results, `pending ${n} ${id}`, () => measurePending(findStack(id), n, settings, nats.url), describePending));
      }
    }
  }
  if (settings.series.includes('methods')) {
    for (const methods of METHOD_POINTS) {
      const shape = { services: 1, methods };
      keep(results.methods, await point(results, `methods ${methods}`, () => measureThroughput(FANOUT_STACK, methods, FANOUT_IN_FLIGHT, 0, settings, nats, shape), describeThroughput));
    }
  }
  if (settings.series.includes('services')) {
    for (const services of SERVICE_POINTS) {
      const shape = { services, methods: 1 };
      keep(results.services, await point(results, `services ${services}`, () => measureThroughput(FANOUT_STACK, services, FANOUT_IN_FLIGHT, 0, settings, nats, shape), describeThroughput));
    }
  }
  if (settings.series.includes('payload')) {
    for (const size of PAYLOAD_POINTS) {
      for (const id of settings.stacks) {
        const measure = (): Promise<ThroughputPoint> => measureThroughput(findStack(id), size, payloadInFlight(size), size, settings, nats);
        keep(results.payload, await point(results, `payload ${size} ${id}`, measure, describeThroughput));
      }
    }
  }
}

async function main(): Promise<void> {
  const settings = parseGrowthSettings(process.argv.slice(2));
  const started = Date.now();
  const nats = await startNatsServer(GROWTH_NATS_CONFIG);
  const results: GrowthResults = {
    settings,
    environment: { date: new Date().toISOString(), node: process.versions.node, natsServer: nats.version, loadBefore: loadavg(), loadAfter: [] },
    inflight: [],
    pending: [],
    methods: [],
    services: [],
    payload: [],
    failures: [],
  };
  log(`growth: series ${settings.series.join(', ')}; nats-server ${nats.version} at ${nats.url}; load ${results.environment.loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  try {
    await runSeries(settings, nats, results);
  } finally {
    await nats.stop();
  }
  results.environment.loadAfter = loadavg();
  const markdown = renderGrowthMarkdown(results);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'growth.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'growth.md'), markdown);
  writeFileSync(join(RESULTS, 'growth.svg'), renderGrowthPlot(results));
  process.stdout.write(`${markdown}\n`);
  log(`growth: done in ${((Date.now() - started) / 1000).toFixed(1)} s, bench/results/growth.{json,md,svg}${results.failures.length ? `, ${results.failures.length} FAILED point(s)` : ''}`);
  if (results.failures.length) process.exitCode = 1;
}

main().catch((err: unknown) => {
  if (err instanceof BenchUsageError) {
    log(`growth: ${err.message}`);
    process.exit(2);
  }
  log(`growth: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
