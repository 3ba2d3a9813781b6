import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomRemoteError, PicomTimeoutError } from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import {
  MB,
  MemorySampler,
  mb,
  outcome,
  spawnChildService,
  startTestService,
  within,
  type ChildService,
  type WorkReply,
  type WorkRequest,
} from '../fixtures/picom-test.helpers.js';

/** A process's resident set now and at its peak, in bytes, from /proc (Linux). */
function residentSet(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

describe('slow handlers and overload', () => {
  let broker: NatsServerHandle;
  let client: PicomClient;
  const cleanup: (() => Promise<void>)[] = [];

  before(async () => {
    broker = await startNatsServer();
    client = new PicomClient({ servers: broker.url, timeout: 10_000 });
    await client.connect();
  });

  after(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    await client?.close();
    await broker?.stop();
  });

  it('maxConcurrency bounds the handlers running at once; the rest wait and start in arrival order', async () => {
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const app = await startTestService(
      { service: 'bounded', servers: broker.url, maxConcurrency: 3 },
      {
        delay: 40,
        onStart: (d: WorkRequest) => {
          order.push(d.id);
          peak = Math.max(peak, ++running);
        },
        onDone: () => running--,
      },
    );
    cleanup.push(app.close);
    const ids = Array.from({ length: 30 }, (_, id) => id);
    const replies = await within(Promise.all(ids.map((id) => firstValueFrom(client.send<WorkReply>('bounded.work', { id })))), 10_000, 'calls');
    assert.deepEqual(replies.map((r) => r.id), ids);
    assert.equal(peak, 3, `peak concurrency ${peak}`);
    assert.deepEqual(order, ids, 'handlers did not start in arrival order');
  });

  it('past maxQueued, requests are answered "overloaded" at once instead of piling up', async () => {
    const app = await startTestService({ service: 'tiny', servers: broker.url, maxConcurrency: 1, maxQueued: 5 }, { delay: 200 });
    cleanup.push(app.close);
    const results = await within(
      Promise.all(Array.from({ length: 20 }, (_, id) => outcome(firstValueFrom(client.send<WorkReply>('tiny.work', { id }))))),
      10_000,
      'calls',
    );
    const served = results.filter((r) => r.ok);
    const refused = results.filter((r) => r.error instanceof PicomRemoteError);
    assert.equal(served.length, 6, '1 running + 5 queued');
    assert.equal(refused.length, 14);
    for (const r of refused) {
      assert.equal(r.error?.message, 'Service tiny is overloaded: too many requests waiting');
      assert.ok(r.ms < 150, `refused after ${r.ms.toFixed(0)} ms`);
    }
    // The served ones are the first six, in order: a FIFO, not a lottery.
    assert.deepEqual(results.map((r, id) => (r.ok ? id : -1)).filter((id) => id >= 0), [0, 1, 2, 3, 4, 5]);
  });

  describe('a flood of 50 000 requests at a slow service (in a child process, so its memory is its own)', () => {
    const FLOOD = 50_000;
    const TIMEOUT = 20_000;
    let child: ChildService | undefined;
    after(async () => child?.kill());

    async function flood(settings: { service: string; options: Record<string, unknown> }): Promise<{
      baselineRss: number;
      peakRss: number;
      peakHeap: number;
      served: number;
      overloaded: number;
      timedOut: number;
      other: string[];
      seconds: number;
      slowestMs: number;
    }> {
      const proc = await spawnChildService({ servers: broker.url, service: settings.service, delay: 25, options: settings.options, memoryEveryMs: 50 });
      child = proc;
      const caller = new Picom(`${settings.service}-flooder`, { servers: broker.url, timeout: TIMEOUT });
      try {
        await caller.connect();
        // Warm up, then take the baseline.
        await caller.request(`${settings.service}.work`, { id: -1 });
        await new Promise((resolve) => setTimeout(resolve, 300));
        const memory = () => proc.events.filter((e) => e.event === 'memory');
        const pid = proc.child.pid as number;
        const before = residentSet(pid);
        const baselineRss = before?.rss ?? memory().at(-1)?.rss ?? 0;
        const from = memory().length;
        const started = performance.now();
        const calls: Promise<{ ok: boolean; error?: Error; ms: number }>[] = [];
        for (let id = 0; id < FLOOD; id++) {
          calls.push(outcome(caller.request(`${settings.service}.work`, { id })));
        }
        const results = await within(Promise.all(calls), TIMEOUT + 10_000, 'the flood');
        const seconds = (performance.now() - started) / 1000;
        await new Promise((resolve) => setTimeout(resolve, 120));
        const during = memory().slice(from);
        // The kernel's high-water mark sees the peak even while the child's event loop is too busy to sample.
        const kernelPeak = residentSet(pid)?.peak;
        const other: string[] = [];
        let served = 0;
        let overloaded = 0;
        let timedOut = 0;
        for (const r of results) {
          if (r.ok) served++;
          else if (r.error instanceof PicomRemoteError && /overloaded/.test(r.error.message)) overloaded++;
          else if (r.error instanceof PicomTimeoutError) timedOut++;
          else other.push(String(r.error));
        }
        return {
          baselineRss,
          peakRss: kernelPeak ?? Math.max(...during.map((e) => e.rss ?? 0)),
          peakHeap: Math.max(...during.map((e) => e.heapUsed ?? 0)),
          served,
          overloaded,
          timedOut,
          other,
          seconds,
          slowestMs: Math.max(...results.map((r) => r.ms)),
        };
      } finally {
        await caller.close();
        proc.child.kill('SIGTERM');
        await within(proc.exited, 15_000, 'flood service exit').catch(() => proc.kill());
      }
    }

    it('with maxConcurrency: memory stays bounded and every caller gets an answer or its timeout', async (t) => {
      const callerMemory = new MemorySampler();
      const r = await flood({ service: 'flooded', options: { maxConcurrency: 16, maxQueued: 1_000, gracePeriod: 1_000 } });
      callerMemory.stop();
      assert.deepEqual(r.other.slice(0, 5), [], 'calls that ended otherwise than with an answer or a timeout');
      assert.equal(r.served + r.overloaded + r.timedOut, FLOOD);
      assert.ok(r.served >= 1_000, `only ${r.served} served`);
      assert.ok(r.overloaded > 0, 'nothing was refused: the flood did not overload the service');
      const growth = r.peakRss - r.baselineRss;
      // Without maxConcurrency the same flood grows it by 160-220 MB here (the next test measures it).
      assert.ok(growth < 80 * MB, `service RSS grew by ${mb(growth)} under the flood`);
      t.diagnostic(
        `flood of ${FLOOD} requests at maxConcurrency 16 / maxQueued 1000, 25 ms handlers: ${r.served} served, ${r.overloaded} answered "overloaded", ` +
          `${r.timedOut} timed out, in ${r.seconds.toFixed(1)} s (slowest call ${r.slowestMs.toFixed(0)} ms); ` +
          `service RSS ${mb(r.baselineRss)} -> peak ${mb(r.peakRss)} (+${mb(growth)}), peak heap (sampled) ${mb(r.peakHeap)}; ` +
          `caller process peak RSS ${mb(callerMemory.peakRss)}, peak heap ${mb(callerMemory.peakHeap)}`,
      );
    });

    it('for comparison, without maxConcurrency: every request starts a handler at once', async (t) => {
      const r = await flood({ service: 'unbounded', options: { gracePeriod: 1_000 } });
      assert.equal(r.served + r.timedOut, FLOOD, r.other.slice(0, 3).join('\n'));
      t.diagnostic(
        `flood of ${FLOOD} requests without maxConcurrency: ${r.served} served, ${r.timedOut} timed out, in ${r.seconds.toFixed(1)} s; ` +
          `service RSS ${mb(r.baselineRss)} -> peak ${mb(r.peakRss)} (+${mb(r.peakRss - r.baselineRss)}), peak heap (sampled) ${mb(r.peakHeap)}`,
      );
    });
  });
});
