import { join } from 'node:path';
import { NEST_MESSAGES } from '../../lib/nest/constants.js';
import { runProcess, tail, type CheckResult } from './compat.check.js';
import { workspaceDir, type CompatWorkspace } from './compat.workspace.js';

/**
 * On a Nest picom does not support (installed ignoring the peer range),
 * constructing PicomServer and PicomClient must throw picom's PicomError
 * naming the version needed, not a TypeError from deep inside Nest: checked
 * in an app's own process, with require() and with import.
 */

/** Prints one JSON line per construction: how it failed, if it did. */
const SCRIPT = `
const attempts = (label, nest, core) => [
  [label + ' new PicomServer()', () => new nest.PicomServer({ service: 'old' }), core],
  [label + ' new PicomClient()', () => new nest.PicomClient({}), core],
];
(async () => {
  const all = [
    ...attempts('require:', require('picom/nest'), require('picom')),
    ...attempts('import:', await import('picom/nest'), await import('picom')),
  ];
  for (const [what, construct, core] of all) {
    try {
      construct();
      console.log(JSON.stringify({ what, thrown: false }));
    } catch (err) {
      console.log(JSON.stringify({ what, thrown: true, name: err.name, picomError: err instanceof core.PicomError, message: err.message }));
    }
  }
  console.log(JSON.stringify({ nest: require('@nestjs/microservices/package.json').version }));
})();
`;

interface Attempt {
  what?: string;
  thrown?: boolean;
  name?: string;
  picomError?: boolean;
  message?: string;
  nest?: string;
}

export async function checkOldNest(workspace: CompatWorkspace): Promise<CheckResult> {
  const run = await runProcess(process.execPath, ['-e', SCRIPT], { cwd: workspaceDir(workspace), timeout: 30_000 });
  const lines = run.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Attempt);
  const nest = lines.find((line) => line.nest !== undefined)?.nest ?? 'unknown';
  const attempts = lines.filter((line) => line.what !== undefined);
  const wrong = attempts.filter((a) => !(a.thrown === true && a.picomError === true && a.name === 'PicomError' && a.message === NEST_MESSAGES.unsupportedNest));
  if (run.code !== 0 || attempts.length !== 4 || wrong.length > 0) {
    const shown = wrong.map((a) => `${a.what}: ${a.thrown === true ? `${a.name}: ${a.message}` : 'no error'}`);
    return { status: 'fail', note: `Nest ${nest}: not the clear error`, details: [...shown, tail(run.stderr, 15)].join('\n') };
  }
  return { status: 'pass', note: `Nest ${nest}: PicomError "${NEST_MESSAGES.unsupportedNest.slice(0, 40)}…" (require and import, server and client)` };
}
