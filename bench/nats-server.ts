import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

/**
 * The benchmark's own nats-server on a free loopback port (never the shared
 * one on 4222). Killed when the benchmark exits, even on a crash.
 */
export interface BenchNatsServer {
  readonly url: string;
  readonly version: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const BIN = process.env['NATS_SERVER_BIN'] ?? 'nats-server';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * @param config nats-server configuration text (e.g. `max_payload: 8MB`), for
 * limits that have no command-line flag; host and port still come from the flags.
 */
export async function startNatsServer(config?: string): Promise<BenchNatsServer> {
  const port = await freePort();
  const args = ['-a', HOST, '-p', String(port)];
  const configDir = config === undefined ? undefined : mkdtempSync(join(tmpdir(), 'picom-bench-nats-'));
  if (configDir !== undefined) {
    const file = join(configDir, 'nats-server.conf');
    writeFileSync(file, config as string);
    args.push('-c', file);
  }
  const child: ChildProcess = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', kill);
  let log = '';
  // The server has read its config once it is ready (or has failed): the file can go.
  const removeConfig = (): void => {
    if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  };
  const version = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server not ready within 10 s:\n${log}`)), 10_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      if (/Server is ready/.test(log)) {
        clearTimeout(timer);
        resolve(/Version:\s+(\S+)/.exec(log)?.[1] ?? 'unknown');
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${BIN}: ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (code ${code}) before it was ready:\n${log}`));
    });
  }).finally(removeConfig);
  return {
    url: `nats://${HOST}:${port}`,
    version,
    pid: child.pid ?? -1,
    stop: () =>
      new Promise<void>((resolve) => {
        process.removeListener('exit', kill);
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * CPU time (user + system) a process has used, in µs, from /proc (Linux);
 * NaN elsewhere. Clock-tick resolution (10 ms), fine over a window of seconds.
 */
export function processCpuMicros(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1_000_000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** USER_HZ: 100 on every common Linux build. */
const CLOCK_TICKS = 100;
