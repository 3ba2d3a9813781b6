/**
 * `npm run bench [-- --quick]`: starts its own nats-server, runs every stack
 * in separate server and client processes, interleaved round by round
 * (A B C D E A B C D E …), prints a markdown table of the medians with ratios
 * to raw nats.js, and writes the JSON to bench/results/.
 *
 * `--against <ref>`: the same stacks, the Picom ones also on the package of a
 * git ref built in a temporary worktree, interleaved with the working tree's;
 * the A/B tables go to bench/results/ab-<time>.{md,json}.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { roundPlan, soakPlan, type AbSides } from './ab/ab-plan.js';
import { abSummary, renderAbMarkdown, type AbIdentity } from './ab/ab-report.js';
import { refSide, resolveInChild, runId, WORKING_TREE, workingTreeSide } from './ab/package-side.js';
import { describeWorkingTree, RefWorktree, resolveRef } from './ab/ref-worktree.js';
import { BenchUsageError } from './command-line.js';
import { startNatsServer, type BenchNatsServer } from './nats-server.js';
import { evaluateTargets, renderMarkdown, summarize, type Environment } from './report.js';
import { runSoak, runThroughput, type RunMeasurement, type SoakMeasurement } from './run-once.js';
import { parseSettings, TOTAL_IN_FLIGHT, type Settings } from './settings.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RESULTS = join(ROOT, 'bench', 'results');
const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    const entry = require.resolve(name);
    let dir = dirname(entry);
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        // keep walking up
      }
      dir = dirname(dir);
    }
  } catch {
    // not resolvable
  }
  return 'unknown';
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function describeRun(r: RunMeasurement): string {
  const latency = r.latency ? `, p50 ${r.latency.p50.toFixed(3)} ms, p99 ${r.latency.p99.toFixed(3)} ms` : '';
  const errors = r.errors || r.wrongResults ? `, ${r.errors} errors (${r.firstError ?? ''}), ${r.wrongResults} wrong` : '';
  const sys = (s: RunMeasurement['clientSyscallsPerCall']): string =>
    s ? `${(s.reads * 1000).toFixed(0)}r+${(s.writes * 1000).toFixed(0)}w` : '?';
  return (
    `${Math.round(r.throughput).toLocaleString('en-US')} calls/s${latency}, ` +
    `cpu/call ${r.clientCpuPerCall.toFixed(1)}/${r.serverCpuPerCall.toFixed(1)}/${r.brokerCpuPerCall.toFixed(1)} µs, ` +
    `syscalls/1k calls ${sys(r.clientSyscallsPerCall)}/${sys(r.serverSyscallsPerCall)}${errors}`
  );
}

/** The A/B set-up of `--against`: the ref built in a temporary worktree, removed when this process exits. */
interface Against {
  readonly identity: AbIdentity;
  readonly sides: AbSides;
}

async function prepareAgainst(ref: string): Promise<Against> {
  // Before anything starts: a ref that names no commit is a usage error.
  const resolved = resolveRef(ROOT, ref);
  const work = describeWorkingTree(ROOT);
  log(`bench: --against ${ref} = ${resolved.short}: building its package in a temporary worktree`);
  const tree = RefWorktree.create(ROOT, resolved, WORKING_TREE.benchDir);
  process.once('exit', () => tree.remove());
  // Exiting runs the handler above, which a signal's default action would skip.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  await tree.build();
  const identity: AbIdentity = { work: { tag: 'HEAD', ...work }, ref: { ...resolved, tag: resolved.short } };
  const sides: AbSides = { work: workingTreeSide(identity.work.tag), ref: refSide(identity.ref.tag, tree.root) };
  const routed = await resolveInChild(sides.ref, ['picom', 'picom/nest']);
  const outside = routed.find((url) => !fileURLToPath(url).startsWith(join(tree.root, 'dist', '/')));
  if (outside !== undefined) throw new Error(`the ref side resolves picom to ${outside}, not into ${tree.root}/dist`);
  log(`bench: ${resolved.short} built in ${tree.root}; its side loads ${routed.map((u) => fileURLToPath(u).slice(tree.root.length + 1)).join(', ')}`);
  return { identity, sides };
}

interface Measured {
  runs: RunMeasurement[];
  soaks: SoakMeasurement[];
  failures: number;
}

async function measureAll(settings: Settings, nats: BenchNatsServer, ab: AbSides | undefined): Promise<Measured> {
  const measured: Measured = { runs: [], soaks: [], failures: 0 };
  const width = Math.max(11, ...settings.stacks.map((id) => id.length + (ab ? 9 : 0)));
  for (const scenario of settings.scenarios) {
    for (let round = 1; round <= scenario.rounds; round++) {
      for (const { stack, side } of roundPlan(settings.stacks, round, ab)) {
        const id = runId(stack.id, side).padEnd(width);
        const timeoutCheck = scenario.id === 'small' && round === 1 ? settings.timeoutCheck : [];
        const t0 = Date.now();
        try {
          const run = await runThroughput(stack, scenario, round, settings, nats.url, nats.pid, timeoutCheck, side);
          measured.runs.push(run);
          log(`[${scenario.id} ${round}/${scenario.rounds}] ${id} ${describeRun(run)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
        } catch (err) {
          measured.failures++;
          log(`[${scenario.id} ${round}/${scenario.rounds}] ${id} FAILED: ${(err as Error).message}`);
        }
      }
    }
  }
  if (settings.soakCalls > 0) {
    for (const { stack, side } of soakPlan(settings.stacks, ab)) {
      const id = runId(stack.id, side).padEnd(width);
      try {
        const soak = await runSoak(stack, settings, nats.url, TOTAL_IN_FLIGHT, side);
        measured.soaks.push(soak);
        log(`[soak] ${id} ${soak.calls} calls in ${soak.seconds.toFixed(1)} s, heap client ${soak.clientHeapBefore} → ${soak.clientHeapAfter}, server ${soak.serverHeapBefore} → ${soak.serverHeapAfter}`);
      } catch (err) {
        measured.failures++;
        log(`[soak] ${id} FAILED: ${(err as Error).message}`);
      }
    }
  }
  return measured;
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  if (settings.render) {
    const saved = JSON.parse(readFileSync(settings.render, 'utf8')) as {
      settings: Settings;
      environment: Environment;
      runs: RunMeasurement[];
      soaks: SoakMeasurement[];
      against?: AbIdentity;
    };
    if (saved.against) {
      process.stdout.write(`${renderAbMarkdown(saved.settings, saved.environment, saved.against, saved.runs, saved.soaks)}\n`);
      return;
    }
    const targets = evaluateTargets(saved.runs, saved.soaks);
    process.stdout.write(`${renderMarkdown(saved.settings, saved.environment, saved.runs, saved.soaks, targets)}\n`);
    return;
  }
  const started = Date.now();
  const against = settings.against === undefined ? undefined : await prepareAgainst(settings.against);
  const nats = await startNatsServer();
  const env: Environment = {
    date: new Date().toISOString(),
    node: process.versions.node,
    natsServer: nats.version,
    natsJs: packageVersion('@nats-io/transport-node'),
    nest: packageVersion('@nestjs/microservices'),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    loadBefore: loadavg(),
    loadAfter: [],
  };
  log(`bench: ${settings.mode} mode, nats-server ${nats.version} at ${nats.url}, load ${env.loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  let measured: Measured;
  try {
    measured = await measureAll(settings, nats, against?.sides);
  } finally {
    await nats.stop();
  }
  const { runs, soaks, failures } = measured;
  env.loadAfter = loadavg();
  const stamp = env.date.replace(/[:.]/g, '-');
  const seconds = (Date.now() - started) / 1000;
  mkdirSync(RESULTS, { recursive: true });
  if (against) {
    const markdown = renderAbMarkdown(settings, env, against.identity, runs, soaks);
    process.stdout.write(`${markdown}\n`);
    const summary = abSummary(runs, against.identity);
    const json = JSON.stringify({ settings, environment: env, against: against.identity, summary, soaks, runs, failures, seconds }, null, 2);
    writeFileSync(join(RESULTS, `ab-${stamp}.md`), markdown);
    writeFileSync(join(RESULTS, `ab-${stamp}.json`), `${json}\n`);
    log(`bench: done in ${seconds.toFixed(1)} s, results in bench/results/ab-${stamp}.{md,json}${failures ? `, ${failures} FAILED run(s)` : ''}`);
  } else {
    const targets = evaluateTargets(runs, soaks);
    const markdown = renderMarkdown(settings, env, runs, soaks, targets);
    process.stdout.write(`${markdown}\n`);
    const summary = summarize(runs);
    const json = JSON.stringify({ settings, environment: env, summary, targets, soaks, runs, failures, seconds }, null, 2);
    writeFileSync(join(RESULTS, `${stamp}.json`), `${json}\n`);
    writeFileSync(join(RESULTS, 'latest.json'), `${json}\n`);
    if (settings.mode === 'full' && !settings.profileDir && settings.complete) {
      writeFileSync(join(RESULTS, 'latest.md'), markdown);
    }
    log(`bench: done in ${seconds.toFixed(1)} s, results in bench/results/${stamp}.json${failures ? `, ${failures} FAILED run(s)` : ''}`);
  }
  if (failures > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  if (err instanceof BenchUsageError) {
    log(`bench: ${err.message}`);
    process.exit(2);
  }
  log(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
