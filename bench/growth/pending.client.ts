/**
 * A growth-bench client process that keeps calls pending instead of making
 * traffic: heap per pending call and what pending calls cost the process
 * when nothing happens (for Picom, its deadline timer). Run with `--expose-gc`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { send, type PendingResult } from '../protocol.js';
import type { ClientModule } from '../stacks/types.js';
import { makeRequest } from '../workload.js';

export interface PendingConfig {
  name: string;
  clientModule: string;
  url: string;
  pending: number;
  /** Wall time of each CPU window, in ms. */
  windowMs: number;
}

/** Far beyond the run: the deadline timer sees calls that are pending, never due. */
const PENDING_TIMEOUT_MS = 600_000;
/** Pause between a forced GC and a CPU window. */
const SETTLE_MS = 300;
/** Calls made first, so that code paths, pools and the connection are warm in the idle heap. */
const WARM_CALLS = 200;

const config = JSON.parse(process.argv[2] ?? '{}') as PendingConfig;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error(`${config.name}: run with --expose-gc`);

const mod = (await import(`../stacks/${config.clientModule}`)) as ClientModule;
const client = await mod.createClient(config.url);
const callNever = client.callNever?.bind(client);
if (!callNever) throw new Error(`${config.name}: ${config.clientModule} has no per-call timeout to keep calls pending with`);
const message = makeRequest(0);

for (let i = 0; i < WARM_CALLS; i++) await client.call(message);
const heapIdle = heapAfterGc();
const cpuIdlePerSecond = await cpuPerSecond(config.windowMs);
for (let i = 0; i < config.pending; i++) {
  // Not kept in an array: only what the stack itself holds per call is measured.
  callNever(PENDING_TIMEOUT_MS).catch(() => undefined);
}
// One answered call after them: every request before it has left the process.
await client.call(message);
const heapPending = heapAfterGc();
const cpuPendingPerSecond = await cpuPerSecond(config.windowMs);

const result: PendingResult = { type: 'pending-result', pending: config.pending, heapIdle, heapPending, cpuIdlePerSecond, cpuPendingPerSecond };
await send(result);
// The pending calls would hold the process open; the server is killed with it.
process.exit(0);

function heapAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

async function cpuPerSecond(windowMs: number): Promise<number> {
  // V8 finishes a full GC's sweeping on background threads, which count as process CPU: let them end first.
  await sleep(SETTLE_MS);
  const start = process.cpuUsage();
  const t0 = performance.now();
  await sleep(windowMs);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ((performance.now() - t0) / 1000);
}
