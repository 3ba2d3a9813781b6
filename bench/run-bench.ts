/**
 * `npm run bench [-- --quick]`: starts its own nats-server, runs every stack
 * in separate server and client processes, interleaved round by round
 * (A B C D E A B C D E …), prints a markdown table of the medians with ratios
 * to raw nats.js, and writes the JSON to bench/results/.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNatsServer } from './nats-server.js';
import { evaluateTargets, renderMarkdown, summarize, type Environment } from './report.js';
import { runSoak, runThroughput, type RunMeasurement, type SoakMeasurement } from './run-once.js';
import { parseSettings, TOTAL_IN_FLIGHT, type Settings } from './settings.js';
import { findStack } from './stacks/index.js';

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

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  if (settings.render) {
    const saved = JSON.parse(readFileSync(settings.render, 'utf8')) as {
      settings: Settings;
      environment: Environment;
      runs: RunMeasurement[];
      soaks: SoakMeasurement[];
    };
    const targets = evaluateTargets(saved.runs, saved.soaks);
    process.stdout.write(`${renderMarkdown(saved.settings, saved.environment, saved.runs, saved.soaks, targets)}\n`);
    return;
  }
  const started = Date.now();
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
  const runs: RunMeasurement[] = [];
  const soaks: SoakMeasurement[] = [];
  let failures = 0;
  try {
    for (const scenario of settings.scenarios) {
      for (let round = 1; round <= scenario.rounds; round++) {
        for (const id of settings.stacks) {
          const stack = findStack(id);
          const timeoutCheck = scenario.id === 'small' && round === 1 ? settings.timeoutCheck : [];
          const t0 = Date.now();
          try {
            const run = await runThroughput(stack, scenario, round, settings, nats.url, nats.pid, timeoutCheck);
            runs.push(run);
            log(`[${scenario.id} ${round}/${scenario.rounds}] ${id.padEnd(11)} ${describeRun(run)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
          } catch (err) {
            failures++;
            log(`[${scenario.id} ${round}/${scenario.rounds}] ${id.padEnd(11)} FAILED: ${(err as Error).message}`);
          }
        }
      }
    }
    if (settings.soakCalls > 0) {
      for (const id of settings.stacks.filter((s) => s.startsWith('picom'))) {
        try {
          const soak = await runSoak(findStack(id), settings, nats.url, TOTAL_IN_FLIGHT);
          soaks.push(soak);
          log(`[soak] ${id.padEnd(11)} ${soak.calls} calls in ${soak.seconds.toFixed(1)} s, heap client ${soak.clientHeapBefore} → ${soak.clientHeapAfter}, server ${soak.serverHeapBefore} → ${soak.serverHeapAfter}`);
        } catch (err) {
          failures++;
          log(`[soak] ${id.padEnd(11)} FAILED: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    await nats.stop();
  }
  env.loadAfter = loadavg();
  const targets = evaluateTargets(runs, soaks);
  const markdown = renderMarkdown(settings, env, runs, soaks, targets);
  process.stdout.write(`${markdown}\n`);

  mkdirSync(RESULTS, { recursive: true });
  const summary = summarize(runs);
  const json = JSON.stringify({ settings, environment: env, summary, targets, soaks, runs, failures, seconds: (Date.now() - started) / 1000 }, null, 2);
  const stamp = env.date.replace(/[:.]/g, '-');
  writeFileSync(join(RESULTS, `${stamp}.json`), `${json}\n`);
  writeFileSync(join(RESULTS, 'latest.json'), `${json}\n`);
  if (settings.mode === 'full' && !settings.profileDir && settings.complete) {
    writeFileSync(join(RESULTS, 'latest.md'), markdown);
  }
  log(`bench: done in ${((Date.now() - started) / 1000).toFixed(1)} s, results in bench/results/${stamp}.json${failures ? `, ${failures} FAILED run(s)` : ''}`);
  if (failures > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  log(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
