import { readFileSync } from 'node:fs';

/**
 * What the orchestrator and its child processes say to each other over the
 * IPC channel of `child_process.fork`, and the probes every child uses.
 */

/** CPU, calls and (with `--expose-gc`) heap at one instant of one process. */
export interface Snapshot {
  label: string;
  /** ms, `performance.now()` of the process that took it. */
  t: number;
  /** µs of CPU since the process started (user + system). */
  cpu: number;
  /** Calls completed (client) or served (server) so far. */
  calls: number;
  /** Heap in use after a full GC, in bytes; only when the process runs with `--expose-gc`. */
  heapUsed?: number;
  /** Read and write system calls so far (Linux /proc/self/io): how well messages are batched. */
  syscalls?: { reads: number; writes: number };
}

export interface ServerConfig {
  /** Names the process in logs and profiles. */
  name: string;
  stack: string;
  serverModule: string;
  url: string;
}

export interface ClientConfig {
  /** Names the process in logs and profiles. */
  name: string;
  stack: string;
  clientModule: string;
  url: string;
  /** Approximate JSON size of a request (and of its reply). */
  payloadBytes: number;
  /** Calls kept in flight while measuring throughput. */
  inFlight: number;
  /** Sequential calls after the throughput phase: `warmup` unmeasured, then `calls` timed. 0 to skip. */
  latencyWarmup: number;
  latencyCalls: number;
  /** Timeouts (ms) of the timeout-precision check, run in parallel at the end; empty to skip. */
  timeoutCheck: number[];
  /** Soak mode: `warmup` calls, a heap mark, `calls` calls, another heap mark. */
  soak?: { warmup: number; calls: number };
}

export interface TimeoutCheck {
  timeoutMs: number;
  /** ms from the call to its rejection. */
  elapsedMs: number;
  /** The rejection's error name (a timeout is expected). */
  error: string;
}

export interface ClientResult {
  type: 'result';
  role: 'client';
  marks: Snapshot[];
  rssPeak: number;
  errors: number;
  firstError?: string;
  wrongResults: number;
  latency?: { p50: number; p90: number; p99: number; mean: number; max: number; count: number };
  timeouts?: TimeoutCheck[];
}

export interface ServerResult {
  type: 'result';
  role: 'server';
  marks: Snapshot[];
  rssPeak: number;
}

/** What a pending-calls client of bench/growth measured. */
export interface PendingResult {
  type: 'pending-result';
  /** Calls left pending (to a method that never answers). */
  pending: number;
  /** Heap in use after full GCs, bytes: warm with nothing pending, then with `pending` calls pending. */
  heapIdle: number;
  heapPending: number;
  /** µs of process CPU per second of wall time with no traffic: nothing pending, then `pending` calls pending. */
  cpuIdlePerSecond: number;
  cpuPendingPerSecond: number;
}

/** Parent → child. */
export type ParentMessage =
  | { type: 'go' }
  | { type: 'mark'; label: string }
  | { type: 'stop' }
  | { type: 'finish' };

/** Child → parent. */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'marked'; label: string }
  | { type: 'want-mark'; label: string }
  | ClientResult
  | ServerResult
  | PendingResult;

export function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('bench child started without an IPC channel'));
      return;
    }
    process.send(message, undefined, undefined, (err) => (err ? reject(err) : resolve()));
  });
}

/** Samples RSS every `intervalMs` and keeps the peak. */
export class RssSampler {
  private peakRss = process.memoryUsage.rss();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 50) {
    this.timer = setInterval(() => this.sample(), intervalMs).unref();
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakRss) this.peakRss = rss;
  }

  get peak(): number {
    this.sample();
    return this.peakRss;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

type Gc = () => void;

/** Takes a snapshot; runs a full GC first when the process has `--expose-gc`. */
export function snapshot(label: string, calls: number): Snapshot {
  const gc = (globalThis as { gc?: Gc }).gc;
  let heapUsed: number | undefined;
  if (gc) {
    gc();
    gc();
    heapUsed = process.memoryUsage().heapUsed;
  }
  const cpu = process.cpuUsage();
  const snap: Snapshot = { label, t: performance.now(), cpu: cpu.user + cpu.system, calls };
  if (heapUsed !== undefined) snap.heapUsed = heapUsed;
  const syscalls = readSyscalls();
  if (syscalls) snap.syscalls = syscalls;
  return snap;
}

function readSyscalls(): { reads: number; writes: number } | undefined {
  try {
    const io = readFileSync('/proc/self/io', 'utf8');
    const reads = /syscr:\s*(\d+)/.exec(io);
    const writes = /syscw:\s*(\d+)/.exec(io);
    return reads && writes ? { reads: Number(reads[1]), writes: Number(writes[1]) } : undefined;
  } catch {
    return undefined;
  }
}

export function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
