import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WORKING_TREE, runId, type PackageSide } from './ab/package-side.js';
import { Child } from './child.js';
import type { ClientConfig, ClientResult, ServerConfig, ServerResult, Snapshot, TimeoutCheck } from './protocol.js';
import type { Settings, Scenario } from './settings.js';
import type { StackInfo } from './stacks/index.js';
import { processCpuMicros } from './nats-server.js';

/** What one stack did in one scenario of one round. */
export interface RunMeasurement {
  stack: string;
  scenario: string;
  round: number;
  /** Calls per second of all clients together, over the measured window. */
  throughput: number;
  /** µs of CPU (user + system) per call, client processes together / the server process. */
  clientCpuPerCall: number;
  serverCpuPerCall: number;
  /** µs of the nats-server's CPU per call (NaN where /proc is missing). */
  brokerCpuPerCall: number;
  /** Bytes; for several clients, the largest client. */
  clientRssPeak: number;
  serverRssPeak: number;
  windowMs: number;
  /** Read/write system calls per call over the window (Linux), client processes together / the server. */
  clientSyscallsPerCall?: { reads: number; writes: number };
  serverSyscallsPerCall?: { reads: number; writes: number };
  latency?: ClientResult['latency'];
  timeouts?: TimeoutCheck[];
  errors: number;
  wrongResults: number;
  firstError?: string;
}

export interface SoakMeasurement {
  stack: string;
  calls: number;
  seconds: number;
  clientHeapBefore: number;
  clientHeapAfter: number;
  serverHeapBefore: number;
  serverHeapAfter: number;
  errors: number;
}

function execArgv(settings: Settings, side: PackageSide, extra: string[] = []): string[] {
  if (settings.profileDir) {
    mkdirSync(settings.profileDir, { recursive: true });
    // Read by profiler.ts in the child: it profiles the measured window only.
    process.env['PICOM_BENCH_PROFILE_DIR'] = settings.profileDir;
  }
  return [...side.execArgv, ...extra];
}

function startServer(stack: StackInfo, side: PackageSide, url: string, name: string, argv: string[]): Child {
  const config: ServerConfig = { name: `${name}-server`, stack: runId(stack.id, side), serverModule: stack.server, url };
  return new Child(`${name} server`, join(side.benchDir, 'server.js'), config, argv);
}

function find(marks: Snapshot[], label: string, who: string): Snapshot {
  const mark = marks.find((m) => m.label === label);
  if (!mark) throw new Error(`${who}: no "${label}" mark`);
  return mark;
}

async function markAll(children: Child[], label: string): Promise<void> {
  for (const child of children) child.send({ type: 'mark', label });
  await Promise.all(children.map((child) => child.next('marked')));
}

/**
 * Spawns one server and the scenario's clients, measures a throughput window,
 * then latency. `side` picks the build of the package the children load.
 */
export async function runThroughput(
  stack: StackInfo,
  scenario: Scenario,
  round: number,
  settings: Settings,
  url: string,
  brokerPid: number,
  timeoutCheck: readonly number[],
  side: PackageSide = WORKING_TREE,
): Promise<RunMeasurement> {
  const id = runId(stack.id, side);
  const name = `${scenario.id}-r${round}-${id}`;
  const server = startServer(stack, side, url, name, execArgv(settings, side));
  const clients: Child[] = [];
  try {
    // Clients start while the server boots: they only connect to NATS until `go`.
    for (let i = 0; i < scenario.clients; i++) {
      const config: ClientConfig = {
        name: `${name}-client${i}`,
        stack: id,
        clientModule: stack.client,
        url,
        payloadBytes: scenario.payloadBytes,
        inFlight: scenario.inFlight,
        latencyWarmup: i === 0 ? scenario.latencyWarmup : 0,
        latencyCalls: i === 0 ? scenario.latencyCalls : 0,
        timeoutCheck: i === 0 ? [...timeoutCheck] : [],
      };
      clients.push(new Child(`${name} client ${i}`, join(side.benchDir, 'client.js'), config, execArgv(settings, side)));
    }
    await Promise.all([server, ...clients].map((c) => c.next('ready', 60_000)));
    for (const client of clients) client.send({ type: 'go' });
    await sleep(settings.warmupMs);
    const brokerStart = processCpuMicros(brokerPid);
    await markAll([server, ...clients], 'start');
    await sleep(settings.durationMs);
    await markAll([server, ...clients], 'end');
    const brokerCpu = processCpuMicros(brokerPid) - brokerStart;
    const results = clients.map((c) => c.next('result', 300_000) as Promise<ClientResult>);
    for (const client of clients) client.send({ type: 'stop' });
    const clientResults = await Promise.all(results);
    server.send({ type: 'finish' });
    const serverResult = (await server.next('result')) as ServerResult;
    // The children exit by themselves; the next run need not wait for that.
    server.release();
    for (const client of clients) client.release();
    return measure(id, scenario, round, serverResult, clientResults, brokerCpu);
  } catch (err) {
    server.kill();
    for (const client of clients) client.kill();
    throw err;
  }
}

function measure(
  id: string,
  scenario: Scenario,
  round: number,
  server: ServerResult,
  clients: ClientResult[],
  brokerCpu: number,
): RunMeasurement {
  let throughput = 0;
  let clientCpu = 0;
  let clientCalls = 0;
  let windowMs = 0;
  for (const [i, result] of clients.entries()) {
    const start = find(result.marks, 'start', `client ${i}`);
    const end = find(result.marks, 'end', `client ${i}`);
    const calls = end.calls - start.calls;
    throughput += calls / ((end.t - start.t) / 1000);
    clientCpu += end.cpu - start.cpu;
    clientCalls += calls;
    windowMs = Math.max(windowMs, end.t - start.t);
  }
  const sStart = find(server.marks, 'start', 'server');
  const sEnd = find(server.marks, 'end', 'server');
  const first = clients[0]!;
  const measurement: RunMeasurement = {
    stack: id,
    scenario: scenario.id,
    round,
    throughput,
    clientCpuPerCall: clientCpu / clientCalls,
    serverCpuPerCall: (sEnd.cpu - sStart.cpu) / (sEnd.calls - sStart.calls),
    brokerCpuPerCall: brokerCpu / clientCalls,
    clientRssPeak: Math.max(...clients.map((c) => c.rssPeak)),
    serverRssPeak: server.rssPeak,
    windowMs,
    errors: clients.reduce((n, c) => n + c.errors, 0),
    wrongResults: clients.reduce((n, c) => n + c.wrongResults, 0),
  };
  const perCall = (pairs: [Snapshot, Snapshot][], calls: number): { reads: number; writes: number } | undefined => {
    if (!pairs.every(([a, b]) => a.syscalls && b.syscalls)) return undefined;
    let reads = 0;
    let writes = 0;
    for (const [a, b] of pairs) {
      reads += b.syscalls!.reads - a.syscalls!.reads;
      writes += b.syscalls!.writes - a.syscalls!.writes;
    }
    return { reads: reads / calls, writes: writes / calls };
  };
  const clientSys = perCall(
    clients.map((c, i) => [find(c.marks, 'start', `client ${i}`), find(c.marks, 'end', `client ${i}`)]),
    clientCalls,
  );
  const serverSys = perCall([[sStart, sEnd]], sEnd.calls - sStart.calls);
  if (clientSys) measurement.clientSyscallsPerCall = clientSys;
  if (serverSys) measurement.serverSyscallsPerCall = serverSys;
  const firstError = clients.find((c) => c.firstError)?.firstError;
  if (firstError) measurement.firstError = firstError;
  if (first.latency) measurement.latency = first.latency;
  if (first.timeouts) measurement.timeouts = first.timeouts;
  return measurement;
}

/** Runs `calls` calls (1000 in flight) between two heap marks taken after full GCs in both processes. */
export async function runSoak(
  stack: StackInfo,
  settings: Settings,
  url: string,
  inFlight: number,
  side: PackageSide = WORKING_TREE,
): Promise<SoakMeasurement> {
  const id = runId(stack.id, side);
  const name = `soak-${id}`;
  const server = startServer(stack, side, url, name, execArgv(settings, side, ['--expose-gc']));
  let client: Child | undefined;
  try {
    await server.next('ready', 60_000);
    const config: ClientConfig = {
      name: `${name}-client`,
      stack: id,
      clientModule: stack.client,
      url,
      payloadBytes: 0,
      inFlight,
      latencyWarmup: 0,
      latencyCalls: 0,
      timeoutCheck: [],
      soak: { warmup: Math.min(100_000, Math.max(10_000, settings.soakCalls / 10)), calls: settings.soakCalls },
    };
    const soakClient = new Child(`${name} client`, join(side.benchDir, 'client.js'), config, execArgv(settings, side, ['--expose-gc']));
    client = soakClient;
    soakClient.onWantMark = (label) => {
      // The server first, so its GC is done before the client goes on.
      server.send({ type: 'mark', label });
      void server.next('marked').then(() => soakClient.send({ type: 'mark', label }));
    };
    await soakClient.next('ready', 60_000);
    soakClient.send({ type: 'go' });
    const result = (await soakClient.next('result', 1_800_000)) as ClientResult;
    server.send({ type: 'finish' });
    const serverResult = (await server.next('result')) as ServerResult;
    await Promise.all([server.exited, soakClient.exited]);
    const cBefore = find(result.marks, 'before', 'soak client');
    const cAfter = find(result.marks, 'after', 'soak client');
    const sBefore = find(serverResult.marks, 'before', 'soak server');
    const sAfter = find(serverResult.marks, 'after', 'soak server');
    return {
      stack: id,
      calls: cAfter.calls - cBefore.calls,
      seconds: (cAfter.t - cBefore.t) / 1000,
      clientHeapBefore: cBefore.heapUsed ?? NaN,
      clientHeapAfter: cAfter.heapUsed ?? NaN,
      serverHeapBefore: sBefore.heapUsed ?? NaN,
      serverHeapAfter: sAfter.heapUsed ?? NaN,
      errors: result.errors,
    };
  } finally {
    server.kill();
    client?.kill();
  }
}
