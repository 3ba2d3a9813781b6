import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from '../child.js';
import type { PendingResult, ServerConfig } from '../protocol.js';
import { runThroughput } from '../run-once.js';
import type { Settings } from '../settings.js';
import type { StackInfo } from '../stacks/index.js';
import type { BenchNatsServer } from '../nats-server.js';
import { SHAPE_ENV, type FanoutShape } from './fanout-shape.js';
import type { GrowthSettings } from './growth-settings.js';
import type { PendingConfig } from './pending.client.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH = dirname(HERE);

/** Plain Picom serving a services × methods shape (module paths are relative to bench/stacks/). */
export const FANOUT_STACK: StackInfo = {
  id: 'picom-plain-fanout',
  label: 'Picom, plain path',
  server: '../growth/fanout.server.js',
  client: '../growth/fanout.client.js',
};

/** One throughput point of a series. */
export interface ThroughputPoint {
  stack: string;
  /** The series' x: calls in flight, methods, services or payload bytes. */
  x: number;
  inFlight: number;
  payloadBytes: number;
  throughput: number;
  /** Payload MiB per second, one way (requests; the replies carry as much back). */
  mibPerSecond: number;
  clientCpuPerCall: number;
  serverCpuPerCall: number;
  clientRssPeak: number;
  serverRssPeak: number;
  errors: number;
  firstError?: string;
}

/** One point of the pending-calls series. */
export interface PendingPoint {
  stack: string;
  pending: number;
  /** Bytes of heap per pending call, after full GCs. */
  heapPerCall: number;
  /** µs of client CPU per second with no traffic: nothing pending, then `pending` calls pending. */
  cpuIdlePerSecond: number;
  cpuPendingPerSecond: number;
}

/** Runs one stack with `inFlight` calls in flight and `payloadBytes` requests (and replies), through the main bench's plumbing. */
export async function measureThroughput(
  stack: StackInfo,
  x: number,
  inFlight: number,
  payloadBytes: number,
  settings: GrowthSettings,
  nats: BenchNatsServer,
  shape?: FanoutShape,
): Promise<ThroughputPoint> {
  if (shape) process.env[SHAPE_ENV] = JSON.stringify(shape);
  const scenario = { id: 'growth', label: 'growth', clients: 1, inFlight, payloadBytes, latencyWarmup: 0, latencyCalls: 0, rounds: 1 } as const;
  const benchSettings: Settings = {
    mode: 'quick',
    warmupMs: settings.warmupMs,
    durationMs: settings.durationMs,
    scenarios: [scenario],
    stacks: [stack.id],
    timeoutCheck: [],
    soakCalls: 0,
    profileDir: undefined,
    render: undefined,
    complete: false,
    against: undefined,
  };
  try {
    const run = await runThroughput(stack, scenario, x, benchSettings, nats.url, nats.pid, []);
    const point: ThroughputPoint = {
      stack: stack.id,
      x,
      inFlight,
      payloadBytes,
      throughput: run.throughput,
      mibPerSecond: (run.throughput * payloadBytes) / (1024 * 1024),
      clientCpuPerCall: run.clientCpuPerCall,
      serverCpuPerCall: run.serverCpuPerCall,
      clientRssPeak: run.clientRssPeak,
      serverRssPeak: run.serverRssPeak,
      errors: run.errors,
    };
    if (run.firstError) point.firstError = run.firstError;
    return point;
  } finally {
    delete process.env[SHAPE_ENV];
  }
}

/** Starts the stack's server, then a pending-calls client that leaves `pending` calls waiting on its `never` method. */
export async function measurePending(stack: StackInfo, pending: number, settings: GrowthSettings, url: string): Promise<PendingPoint> {
  const name = `pending-${pending}-${stack.id}`;
  const serverConfig: ServerConfig = { name: `${name}-server`, stack: stack.id, serverModule: stack.server, url };
  const server = new Child(`${name} server`, join(BENCH, 'server.js'), serverConfig, []);
  let client: Child | undefined;
  try {
    await server.next('ready', 60_000);
    const config: PendingConfig = { name: `${name}-client`, clientModule: stack.client, url, pending, windowMs: settings.windowMs };
    client = new Child(`${name} client`, join(HERE, 'pending.client.js'), config, ['--expose-gc']);
    const result = (await client.next('pending-result', 300_000)) as PendingResult;
    return {
      stack: stack.id,
      pending,
      heapPerCall: (result.heapPending - result.heapIdle) / pending,
      cpuIdlePerSecond: result.cpuIdlePerSecond,
      cpuPendingPerSecond: result.cpuPendingPerSecond,
    };
  } finally {
    server.kill();
    client?.kill();
  }
}
