/**
 * A benchmark client process. Throughput mode: on `go`, keeps `inFlight` calls
 * going; takes marks (CPU, calls completed) when the orchestrator says so; on
 * `stop`, drains, then times sequential calls and checks timeouts. Soak mode:
 * runs a fixed number of calls between two heap marks.
 */
import { CallWindow } from './call-window.js';
import { startProfile, stopProfile } from './profiler.js';
import {
  describeError,
  RssSampler,
  send,
  snapshot,
  type ClientConfig,
  type ClientResult,
  type ParentMessage,
  type Snapshot,
  type TimeoutCheck,
} from './protocol.js';
import type { BenchClient, ClientModule } from './stacks/types.js';
import { summarizeLatencies } from './stats.js';
import { makeRequest } from './workload.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ClientConfig;
const rss = new RssSampler();
const marks: Snapshot[] = [];
const markWaiters = new Map<string, () => void>();

const mod = (await import(`./stacks/${config.clientModule}`)) as ClientModule;
const client = await mod.createClient(config.url);
const message = makeRequest(config.payloadBytes);
const window = new CallWindow((m) => client.call(m), message);

process.on('message', (msg: ParentMessage) => {
  switch (msg.type) {
    case 'go':
      if (config.soak) {
        void soak(config.soak);
      } else {
        window.start(config.inFlight);
      }
      break;
    case 'mark': {
      marks.push(snapshot(msg.label, window.completed));
      void send({ type: 'marked', label: msg.label });
      if (msg.label === 'start') void startProfile();
      if (msg.label === 'end') void stopProfile(config.name);
      const waiter = markWaiters.get(msg.label);
      markWaiters.delete(msg.label);
      waiter?.();
      break;
    }
    case 'stop':
      void finish();
      break;
    default:
      break;
  }
});

await send({ type: 'ready' });

async function soak({ warmup, calls }: { warmup: number; calls: number }): Promise<void> {
  await window.run(config.inFlight, warmup);
  await requestMark('before');
  await window.run(config.inFlight, calls);
  await requestMark('after');
  await report(undefined, undefined);
}

function requestMark(label: string): Promise<void> {
  return new Promise((resolve) => {
    markWaiters.set(label, resolve);
    void send({ type: 'want-mark', label });
  });
}

async function finish(): Promise<void> {
  await window.stop();
  const latency = config.latencyCalls > 0 ? await sequentialLatency(client) : undefined;
  const timeouts = config.timeoutCheck.length > 0 && client.callNever ? await checkTimeouts(client, config.timeoutCheck) : undefined;
  await report(latency, timeouts);
}

async function report(latency: ClientResult['latency'], timeouts: TimeoutCheck[] | undefined): Promise<void> {
  const result: ClientResult = {
    type: 'result',
    role: 'client',
    marks,
    rssPeak: rss.peak,
    errors: window.errors,
    wrongResults: window.wrongResults,
  };
  if (window.firstError !== undefined) result.firstError = window.firstError;
  if (latency) result.latency = latency;
  if (timeouts) result.timeouts = timeouts;
  rss.stop();
  await send(result);
  await client.close().catch(() => undefined);
  process.exit(0);
}

/** Sequential calls, one at a time, timed with `performance.now()` after a warm-up. */
async function sequentialLatency(c: BenchClient): Promise<ClientResult['latency']> {
  for (let i = 0; i < config.latencyWarmup; i++) {
    await c.call(message);
  }
  const samples = new Float64Array(config.latencyCalls);
  for (let i = 0; i < samples.length; i++) {
    const start = performance.now();
    await c.call(message);
    samples[i] = performance.now() - start;
  }
  const { count, mean, p50, p90, p99, max } = summarizeLatencies(samples);
  return { count, mean, p50, p90, p99, max };
}

/** Calls a handler that never answers with each timeout, in parallel, and times the rejections. */
function checkTimeouts(c: BenchClient, timeouts: number[]): Promise<TimeoutCheck[]> {
  const callNever = c.callNever as (timeoutMs: number) => Promise<unknown>;
  return Promise.all(
    timeouts.map(async (timeoutMs) => {
      const start = performance.now();
      let error = 'none: the call resolved';
      try {
        await callNever(timeoutMs);
      } catch (err) {
        error = describeError(err);
      }
      return { timeoutMs, elapsedMs: performance.now() - start, error };
    }),
  );
}
