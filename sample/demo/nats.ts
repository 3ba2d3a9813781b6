import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagedProcess } from './processes.js';

/** Where the demo looks for NATS when `PICOM_SERVERS` is not set. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

const START_TIMEOUT_MS = 10_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::']);

export const INSTALL_HINT = `No nats-server binary was found (looked in PATH, /usr/sbin and /usr/local/sbin; set NATS_SERVER_BIN to point at one).
Install one, or start a NATS server yourself and point PICOM_SERVERS at it:
  Debian/Ubuntu:  sudo apt-get install nats-server
  macOS:          brew install nats-server
  Docker:         docker run -d --name nats -p 4222:4222 nats
Then run the demo again: npm run demo`;

export interface NatsAddress {
  host: string;
  port: number;
  /** `host:port`, without credentials: fit to print. */
  hostport: string;
}

/** The addresses in `PICOM_SERVERS` (comma-separated), credentials left out. */
export function natsAddresses(servers: string): NatsAddress[] {
  return servers
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      // Only where to look matters here: scheme optional, credentials dropped.
      const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `nats://${s}`);
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = Number(url.port || 4222);
      return { host, port, hostport: `${url.hostname}:${port}` };
    });
}

/** True when something accepts TCP connections at `host:port`. */
export function isListening({ host, port }: NatsAddress, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function isLocal({ host }: NatsAddress): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/**
 * The `nats-server` binary: `NATS_SERVER_BIN` when set (a path, or a name to
 * look up), else the first `nats-server` in PATH, /usr/sbin or /usr/local/sbin
 * (where Debian puts it, often not in a user's PATH). `undefined` when none.
 */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const name = env['NATS_SERVER_BIN'] || 'nats-server';
  if (name.includes('/')) {
    return isExecutable(name) ? name : undefined;
  }
  const dirs = [...(env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'].filter(Boolean);
  return dirs.map((dir) => join(dir, name)).find(isExecutable);
}

/** Starts `bin` on `address` and resolves once it accepts connections. */
export async function startNatsServer(bin: string, address: NatsAddress, echo: boolean): Promise<ManagedProcess> {
  const server = await ManagedProcess.start('nats-server', bin, ['-a', address.host, '-p', String(address.port)], process.env, echo);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await isListening(address, 250))) {
    if (!server.running) {
      throw new Error(`nats-server exited before it listened on ${address.hostport}:\n${server.tail().join('\n')}`);
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`nats-server did not listen on ${address.hostport} within ${START_TIMEOUT_MS} ms`);
    }
    await sleep(50);
  }
  return server;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
