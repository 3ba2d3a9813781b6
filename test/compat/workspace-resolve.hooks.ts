import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

/**
 * Module resolve hooks (`module.register`) that run the compiled test suite
 * against a compat workspace: Nest, rxjs, reflect-metadata and picom imported
 * by a test resolve to the workspace's copies, as if the test lived there.
 * Everything else (node:test, the harness, @nats-io/*) stays where it is.
 * Imported by workspace.register only; running it on its own does nothing.
 */

/** What the register module hands over. */
export interface WorkspaceHookData {
  /** Absolute path of the workspace folder (`.compat/<name>`). */
  readonly dir: string;
  /** The condition picom is resolved with: `require` loads dist/cjs, `import` dist/esm. */
  readonly picomCondition: 'require' | 'import';
}

interface ResolveContext {
  conditions: string[];
  importAttributes?: Record<string, string>;
  parentURL?: string;
}

type NextResolve = (specifier: string, context: ResolveContext) => Promise<unknown>;

const REDIRECTED = /^(?:@nestjs\/[^/]+|rxjs|reflect-metadata|picom)(?:\/.*)?$/;
const PICOM = /^picom(?:\/.*)?$/;

let workspaceUrl = '';
let parentURL = '';
let picomConditions: string[] = [];

export function initialize(data: WorkspaceHookData): void {
  workspaceUrl = pathToFileURL(join(data.dir, '/')).href;
  // Resolving "from" the workspace's package.json finds its node_modules first.
  parentURL = pathToFileURL(join(data.dir, 'package.json')).href;
  picomConditions = ['node', data.picomCondition, 'default'];
}

export function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<unknown> {
  // Inside the workspace (picom's own imports, Nest's) the usual lookup already finds its copies.
  if (workspaceUrl === '' || !REDIRECTED.test(specifier) || context.parentURL?.startsWith(workspaceUrl)) {
    return next(specifier, context);
  }
  const conditions = PICOM.test(specifier) ? picomConditions : context.conditions;
  return next(specifier, { ...context, parentURL, conditions });
}
