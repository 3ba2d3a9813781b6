/**
 * A Node module resolve hook (`module.register`) for the child processes of
 * an A/B run's ref side: `picom` and `picom/*` resolve as if imported from
 * inside the ref's worktree, i.e. through that package's own `exports` to its
 * `dist/`. Everything else, the bench's own modules included, resolves as usual.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What `picom-route.register.ts` hands the hook. */
export interface PicomRouteData {
  /** Root of the ref's worktree (its package.json and dist/). */
  readonly root: string;
}

interface ResolveContext {
  parentURL?: string | undefined;
  conditions: string[];
  importAttributes: Record<string, string>;
}

type NextResolve = (specifier: string, context?: Partial<ResolveContext>) => unknown;

let refParentURL: string | undefined;

/** Whether `specifier` names the package under test (its root or one of its subpaths). */
export function isPicomSpecifier(specifier: string): boolean {
  return specifier === 'picom' || specifier.startsWith('picom/');
}

/**
 * The parent URL a Picom import resolves from: a file at the ref's root, so
 * that Node's self-reference finds the ref's package.json and its `exports`.
 */
export function refParent(root: string): string {
  return pathToFileURL(join(root, 'package.json')).href;
}

export function initialize(data: PicomRouteData): void {
  refParentURL = refParent(data.root);
}

export function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): unknown {
  if (refParentURL !== undefined && isPicomSpecifier(specifier)) {
    return nextResolve(specifier, { ...context, parentURL: refParentURL });
  }
  return nextResolve(specifier, context);
}
