import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roundPlan, soakPlan, type AbSides } from '../../bench/ab/ab-plan.js';
import { refSide, runId, WORKING_TREE, workingTreeSide } from '../../bench/ab/package-side.js';

const sides: AbSides = { work: workingTreeSide('HEAD'), ref: refSide('abc1234', '/tmp/ref-tree') };
const STACKS = ['raw-fast', 'nest-nats', 'picom-nest', 'picom-plain'];

function ids(plan: ReturnType<typeof roundPlan>): string[] {
  return plan.map(({ stack, side }) => runId(stack.id, side));
}

describe('A/B run plan', () => {
  it('runs every stack once on the working tree without --against', () => {
    const plan = roundPlan(STACKS, 1, undefined);
    assert.deepEqual(ids(plan), STACKS);
    assert.ok(plan.every((run) => run.side === WORKING_TREE));
  });

  it('runs the Picom stacks on both builds back to back, the others once', () => {
    assert.deepEqual(ids(roundPlan(STACKS, 1, sides)), [
      'raw-fast',
      'nest-nats',
      'picom-nest@HEAD',
      'picom-nest@abc1234',
      'picom-plain@HEAD',
      'picom-plain@abc1234',
    ]);
  });

  it('puts the ref first in even rounds', () => {
    assert.deepEqual(ids(roundPlan(['raw-fast', 'picom-plain'], 2, sides)), ['raw-fast', 'picom-plain@abc1234', 'picom-plain@HEAD']);
    assert.deepEqual(ids(roundPlan(['picom-plain'], 3, sides)), ['picom-plain@HEAD', 'picom-plain@abc1234']);
  });

  it('soaks every Picom stack, on both builds in an A/B run', () => {
    assert.deepEqual(ids(soakPlan(STACKS, undefined)), ['picom-nest', 'picom-plain']);
    assert.deepEqual(ids(soakPlan(['raw-fast', 'picom-plain'], sides)), ['picom-plain@HEAD', 'picom-plain@abc1234']);
  });

  it("runs the ref side's children from the bench linked into its worktree, keeping the link's paths", () => {
    assert.deepEqual(sides.work.execArgv, []);
    assert.equal(sides.work.benchDir, WORKING_TREE.benchDir);
    assert.equal(sides.ref.benchDir, '/tmp/ref-tree/build/bench');
    assert.deepEqual(sides.ref.execArgv, ['--preserve-symlinks', '--preserve-symlinks-main']);
  });
});
