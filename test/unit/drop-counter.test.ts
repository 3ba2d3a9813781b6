import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DropCounter } from '../../lib/responder/drop-counter.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('DropCounter', () => {
  it('writes the first drop at once, sums the rest of the interval into one line at its end, and counts all', async () => {
    const lines: [count: number, total: number, latest: string][] = [];
    const counter = new DropCounter<string>(100, (count, total, latest) => lines.push([count, total, latest]));
    counter.add('a');
    counter.add('b');
    counter.add('c');
    assert.deepEqual(lines, [[1, 1, 'a']]);
    await sleep(50);
    assert.equal(lines.length, 1, 'a line before the interval ended');
    const deadline = performance.now() + 2_000;
    while (lines.length < 2 && performance.now() < deadline) await sleep(5);
    assert.deepEqual(lines, [
      [1, 1, 'a'],
      [2, 3, 'c'],
    ]);
    // The line just written opened a new interval: a drop in it waits for its end.
    counter.add('d');
    assert.equal(lines.length, 2);
    counter.flush();
    assert.deepEqual(lines.at(-1), [1, 4, 'd']);
    assert.equal(counter.total, 4);
  });

  it('flush() with nothing pending writes nothing', () => {
    let written = 0;
    const counter = new DropCounter<undefined>(1_000, () => written++);
    counter.flush();
    counter.add(undefined);
    counter.flush();
    assert.equal(written, 1);
  });
});
