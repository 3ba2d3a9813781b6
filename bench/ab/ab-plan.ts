import { findStack, usesPicom, type StackInfo } from '../stacks/index.js';
import { WORKING_TREE, type PackageSide } from './package-side.js';

/** One stack on one build of the package. */
export interface StackRun {
  readonly stack: StackInfo;
  readonly side: PackageSide;
}

/** The two builds of an A/B run: the working tree's package and the ref's. */
export interface AbSides {
  readonly work: PackageSide;
  readonly ref: PackageSide;
}

/**
 * The runs of one round, in order. An ordinary run: every stack once. An A/B
 * run: the Picom stacks on both builds back to back, the working tree first in
 * odd rounds and the ref first in even ones (so that neither always runs right
 * after the baseline), and the other stacks once as the baseline.
 */
export function roundPlan(stackIds: readonly string[], round: number, ab: AbSides | undefined): StackRun[] {
  return stackIds.flatMap((id) => {
    const stack = findStack(id);
    if (!ab || !usesPicom(stack)) return [{ stack, side: WORKING_TREE }];
    const pair = [
      { stack, side: ab.work },
      { stack, side: ab.ref },
    ];
    return round % 2 === 1 ? pair : pair.reverse();
  });
}

/** The heap soaks: every Picom stack, on both builds in an A/B run. */
export function soakPlan(stackIds: readonly string[], ab: AbSides | undefined): StackRun[] {
  return stackIds
    .map(findStack)
    .filter(usesPicom)
    .flatMap((stack) => (ab ? [ab.work, ab.ref] : [WORKING_TREE]).map((side) => ({ stack, side })));
}
