import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineMap, type Deadline } from '../../lib/deadlines/deadline-map.js';
import { PendingCalls } from '../../lib/requester/pending-calls.js';
import { waitUntil } from '../harness/nats-server.harness.js';

/** Timer lateness on a busy shared machine. */
const SLACK = 150;
const RESOLUTION = 20;

const entry = (timeout: number): Deadline => ({ timeout, deadline: performance.now() + timeout });

/** Counts the timer's wake-ups. */
class CountingMap extends PendingCalls<Deadline> {
  sweeps = 0;
  protected override sweep(now: number): void {
    this.sweeps++;
    super.sweep(now);
  }
}

/** Polls `done` every 2 ms for up to `ms`: timer lateness, not polling, should decide these tests. */
const until = (done: () => boolean, ms: number): Promise<unknown> => waitUntil(done, { timeout: ms, interval: 2 });

describe('DeadlineMap', () => {
  it('hands over an entry once its deadline has passed, not before, and keeps the others', async () => {
    const expired: string[] = [];
    const map = new DeadlineMap<string, Deadline>((key) => expired.push(key), RESOLUTION);
    const started = performance.now();
    map.add('short', entry(60));
    map.add('long', entry(5_000));
    await sleep(30);
    assert.deepEqual(expired, []);
    await until(() => expired.length > 0, 60 + SLACK);
    assert.deepEqual(expired, ['short']);
    assert.ok(performance.now() - started >= 60, 'expired before its deadline');
    assert.equal(map.size, 1);
    assert.ok(map.get('long'));
    map.clear();
  });

  it('sleeps until the earliest deadline: calls that end in time never wake it', async () => {
    const map = new CountingMap(() => assert.fail('nothing is due'), RESOLUTION);
    // 300 ms of traffic: each call pending 10 ms of a 1 s timeout.
    for (let i = 0; i < 30; i++) {
      map.add(`c${i}`, entry(1_000));
      await sleep(10);
      map.delete(`c${i}`, map.get(`c${i}`) as Deadline);
    }
    assert.equal(map.sweeps, 0, 'woke up before any deadline');
    map.clear();
  });

  it('wakes early for a later call with a shorter timeout', async () => {
    const expired: string[] = [];
    const map = new PendingCalls<Deadline>((key) => expired.push(key), RESOLUTION);
    map.add('slow', entry(2_000));
    const started = performance.now();
    map.add('fast', entry(50));
    await until(() => expired.length > 0, 50 + SLACK);
    assert.deepEqual(expired, ['fast']);
    assert.ok(performance.now() - started < 50 + SLACK, 'the shorter deadline waited for the longer one');
    map.clear();
  });

  it('sweeps a run of close deadlines in batches of its resolution', async () => {
    const map = new CountingMap(() => undefined, RESOLUTION);
    // 40 deadlines 2 ms apart over 80 ms: at most one wake-up per 20 ms.
    for (let i = 0; i < 40; i++) {
      map.add(`c${i}`, entry(30 + i * 2));
    }
    await until(() => map.size === 0, 200 + SLACK);
    assert.equal(map.size, 0);
    assert.ok(map.sweeps <= 8, `${map.sweeps} wake-ups for 80 ms of deadlines`);
  });

  it('takes an entry with a NaN deadline as due, not as never', async () => {
    const expired: string[] = [];
    const map = new DeadlineMap<string, Deadline>((key) => expired.push(key), RESOLUTION);
    map.add('odd', { timeout: NaN, deadline: NaN });
    await until(() => expired.length > 0, RESOLUTION + SLACK);
    assert.deepEqual(expired, ['odd']);
  });

  it('stops its timer when cleared', async () => {
    const map = new CountingMap(() => assert.fail('cleared entries expire'), RESOLUTION);
    map.add('a', entry(30));
    assert.equal(map.clear().length, 1);
    await sleep(30 + SLACK);
    assert.equal(map.sweeps, 0);
  });
});
