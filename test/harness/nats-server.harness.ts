import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real `nats-server` processes for tests: each on its own loopback port, never
 * the shared one on 4222. Every process started here is killed, and every temp
 * dir removed, when the test process exits, even after a failure.
 */

/** The binary to run; override with `NATS_SERVER_BIN`. */
export const NATS_SERVER_BIN = process.env['NATS_SERVER_BIN'] ?? 'nats-server';

const HOST = '127.0.0.1';
const DEFAULT_START_TIMEOUT = 10_000;
const STOP_TIMEOUT = 5_000;
const LOG_LIMIT = 64 * 1024;
const READY = /Server is ready/;
const CLIENT_PORT = /Listening for client connections on \S+:(\d+)/;
const MONITOR_PORT = /Starting https? monitor on \S+:(\d+)/;

export interface NatsClusterOptions {
  /** Shared cluster name (`cluster.name`). */
  name: string;
  /** Port of this node's route listener. */
  port: number;
  /** Other nodes' route addresses: `127.0.0.1:6222` or `nats-route://127.0.0.1:6222`. */
  routes: string[];
}

export interface NatsServerOptions {
  /** Extra config file text appended to the generated config (authorization, tls, accounts…). */
  config?: string;
  /** Extra command line arguments. */
  args?: string[];
  /** Client port; default: one the server picks itself (`-1`), kept for `restart()`. */
  port?: number;
  /** Join a cluster. */
  cluster?: NatsClusterOptions;
  /** `max_payload` in bytes. */
  maxPayload?: number;
  /** How long to wait for "Server is ready", in ms. @default 10000 */
  startTimeout?: number;
}

export interface NatsServerHandle {
  /** Client port, the same across `restart()`. */
  readonly port: number;
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>` */
  readonly hostport: string;
  /** Pid of the current process (changes on `restart()`). */
  readonly pid: number;
  /** `http://127.0.0.1:<port>` of the monitoring endpoint. */
  readonly monitorUrl: string;
  /** True from ready until the process exits. */
  readonly running: boolean;
  /** The server's recent log output. */
  readonly output: string;
  /** SIGTERM, then waits for the exit (SIGKILL after 5 s). Removes the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL and waits for the exit: a crash. */
  kill(): Promise<void>;
  /** Starts again on the same ports with the same config and waits until ready. */
  restart(): Promise<void>;
  /** GETs a monitoring endpoint (`varz`, `connz`, `routez`, `subsz?subs=1`…) as JSON. */
  monitor<T = Record<string, unknown>>(endpoint: string): Promise<T>;
}

export interface NatsClusterHandle {
  readonly name: string;
  readonly nodes: NatsServerHandle[];
  /** Client urls of all nodes, in node order. */
  readonly servers: string[];
  /** Resolves once every running node has a route to every other running node. */
  waitForRoutes(timeoutMs?: number): Promise<void>;
  /** Stops every node. */
  stopAll(): Promise<void>;
}

// ---- process tracking -------------------------------------------------------

const liveProcesses = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let cleanupInstalled = false;

/** Kills every nats-server this process started and removes their temp dirs, synchronously. */
export function killAllNatsServers(): void {
  for (const child of liveProcesses) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveProcesses.clear();
  for (const dir of tempDirs) {
    rmSync(dir, { recursive: true, force: true });
  }
  tempDirs.clear();
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllNatsServers);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllNatsServers();
      // Keep the default "die of the signal" unless someone else handles it.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

// ---- helpers ----------------------------------------------------------------

/** A TCP port free on 127.0.0.1 right now (the OS picks it; a tiny race remains). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `check` until it returns a truthy value (which is returned) or the
 * timeout passes, then throws with `message` (a function is called only
 * then, so it can describe the last state). Errors thrown by `check` count as
 * "not yet"; the last one is kept as the cause.
 */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  {
    timeout = 5_000,
    interval = 25,
    message = 'condition not met',
  }: { timeout?: number; interval?: number; message?: string | (() => string) } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const text = typeof message === 'function' ? message() : message;
      throw new Error(`Timed out after ${timeout} ms: ${text}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${url}: HTTP ${res.statusCode} ${body}`));
          return;
        }
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.setTimeout(2_000, () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.once('error', reject);
  });
}

function routeUrl(route: string): string {
  return route.includes('://') ? route : `nats-route://${route}`;
}

/**
 * Waits until `node` has learnt over a route that some other node has a
 * subscription on exactly `subject` (plain or queue): from then on a message
 * published on `node` reaches that subscriber. Interest crosses routes
 * asynchronously, so a publish right after a remote `subscribe()` may be lost.
 */
export async function waitForRemoteInterest(node: NatsServerHandle, subject: string, timeoutMs = 5_000): Promise<void> {
  await waitUntil(
    async () => {
      const routez = await node.monitor<{ routes?: { subscriptions_list?: string[] }[] }>('routez?subs=1');
      return (routez.routes ?? []).some((route) =>
        (route.subscriptions_list ?? []).some((sub) => sub === subject || sub.startsWith(`${subject} `)),
      );
    },
    { timeout: timeoutMs, message: `no route of ${node.hostport} carries interest in ${subject}` },
  );
}

// ---- one server -------------------------------------------------------------

class NatsServer implements NatsServerHandle {
  port: number;
  private monitorPort = -1;
  private dir: string | undefined;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log = '';
  private ready = false;

  constructor(private readonly options: NatsServerOptions) {
    this.port = options.port ?? -1;
  }

  get url(): string {
    return `nats://${this.hostport}`;
  }

  get hostport(): string {
    return `${HOST}:${this.port}`;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get monitorUrl(): string {
    return `http://${HOST}:${this.monitorPort}`;
  }

  get running(): boolean {
    return this.ready;
  }

  get output(): string {
    return this.log;
  }

  /** Spawns the process and resolves once it logs "Server is ready". */
  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      throw new Error(`nats-server ${this.hostport} is already running (pid ${this.pid})`);
    }
    installCleanup();
    const configFile = this.writeConfig();
    const args = ['-c', configFile, '-a', HOST, '-p', String(this.port), ...(this.options.args ?? [])];
    this.log = '';
    const child = spawn(NATS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    liveProcesses.add(child);
    // A server a test forgot to stop must not keep the test process alive;
    // the exit hook kills it.
    child.unref();
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        liveProcesses.delete(child);
        if (this.child === child) this.ready = false;
        resolve();
      });
    });

    await new Promise<void>((resolve, reject) => {
      const timeout = this.options.startTimeout ?? DEFAULT_START_TIMEOUT;
      let settled = false;
      const fail = (reason: string): void => {
        if (settled) return;
        cleanup();
        child.kill('SIGKILL');
        const where = this.port === -1 ? 'a free port' : this.hostport;
        reject(new Error(`nats-server failed to start on ${where}: ${reason}\n--- nats-server output ---\n${this.log}`));
      };
      const onData = (chunk: Buffer): void => {
        this.log = (this.log + chunk.toString('utf8')).slice(-LOG_LIMIT);
        if (!settled && READY.test(this.log)) {
          const client = CLIENT_PORT.exec(this.log);
          const monitor = MONITOR_PORT.exec(this.log);
          if (!client || !monitor) {
            fail('ready, but its client or monitor port is missing from the log');
            return;
          }
          this.port = Number(client[1]);
          this.monitorPort = Number(monitor[1]);
          this.ready = true;
          cleanup();
          resolve();
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
        fail(`exited before it was ready (code ${code}, signal ${signal})`);
      const onError = (err: Error): void => fail(`cannot run ${NATS_SERVER_BIN}: ${err.message}`);
      const timer = setTimeout(() => fail(`not ready within ${timeout} ms`), timeout);
      const cleanup = (): void => {
        settled = true;
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      // Keep draining both pipes after ready so the server never blocks on a full pipe.
      for (const stream of [child.stdout, child.stderr]) {
        stream?.on('data', onData);
        (stream as unknown as { unref?: () => void } | null)?.unref?.();
      }
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  stop(): Promise<void> {
    return this.terminate('SIGTERM').finally(() => this.removeDir());
  }

  kill(): Promise<void> {
    return this.terminate('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.terminate('SIGTERM');
    await this.start();
  }

  monitor<T = Record<string, unknown>>(endpoint: string): Promise<T> {
    return getJson<T>(`${this.monitorUrl}/${endpoint.replace(/^\//, '')}`);
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    // No pid: it never ran (spawn error), so there is no exit to wait for.
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    this.ready = false;
    child.kill(signal);
    // A ref'd timer keeps the test process alive while we wait for the exit.
    const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT);
    try {
      await this.exited;
    } finally {
      clearTimeout(escalate);
    }
  }

  private writeConfig(): string {
    if (!this.dir) {
      this.dir = mkdtempSync(join(tmpdir(), 'picom-nats-'));
      tempDirs.add(this.dir);
    }
    mkdirSync(this.dir, { recursive: true });
    const lines = [
      '# generated by test/harness/nats-server.harness.ts',
      `listen: "${HOST}:${this.port}"`,
      `http: "${HOST}:${this.monitorPort}"`,
    ];
    if (this.options.maxPayload !== undefined) {
      lines.push(`max_payload: ${this.options.maxPayload}`);
    }
    const cluster = this.options.cluster;
    if (cluster) {
      lines.push(
        `server_name: "${cluster.name}-${cluster.port}"`,
        'cluster {',
        `  name: ${JSON.stringify(cluster.name)}`,
        `  listen: "${HOST}:${cluster.port}"`,
        `  routes: [${cluster.routes.map((r) => JSON.stringify(routeUrl(r))).join(', ')}]`,
        '}',
      );
    }
    if (this.options.config) {
      lines.push(this.options.config);
    }
    const file = join(this.dir, 'nats-server.conf');
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  private removeDir(): void {
    if (this.dir) {
      rmSync(this.dir, { recursive: true, force: true });
      tempDirs.delete(this.dir);
      this.dir = undefined;
    }
  }
}

/**
 * Starts a `nats-server` on 127.0.0.1 and resolves once it accepts clients.
 *
 * @example
 * const server = await startNatsServer({ config: 'authorization { token: "s3cret" }' });
 * const nc = await connect({ servers: server.url, token: 's3cret' });
 * @throws {Error} with the server's output when it does not become ready
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const server = new NatsServer(options);
  try {
    await server.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/**
 * Starts `size` nodes routed to each other on 127.0.0.1 under one cluster name,
 * and resolves once all routes are up.
 *
 * @param options applied to every node (`config`, `args`, `maxPayload`…)
 */
export async function startCluster(
  size = 3,
  options: Omit<NatsServerOptions, 'port' | 'cluster'> & { name?: string } = {},
): Promise<NatsClusterHandle> {
  const { name = `picom-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, ...nodeOptions } = options;
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) {
    routePorts.push(await freePort());
  }
  const nodes = routePorts.map(
    (port) =>
      new NatsServer({
        ...nodeOptions,
        cluster: { name, port, routes: routePorts.filter((p) => p !== port).map((p) => `${HOST}:${p}`) },
      }),
  );
  const cluster: NatsClusterHandle = {
    name,
    nodes,
    get servers() {
      return nodes.map((node) => node.url);
    },
    async waitForRoutes(timeoutMs = 10_000) {
      const counts = new Map<NatsServerHandle, number>();
      await waitUntil(
        async () => {
          const running = nodes.filter((node) => node.running);
          for (const node of running) {
            const routez = await node.monitor<{ routes?: { remote_id: string }[] }>('routez');
            counts.set(node, new Set((routez.routes ?? []).map((r) => r.remote_id)).size);
          }
          return running.every((node) => counts.get(node) === running.length - 1);
        },
        {
          timeout: timeoutMs,
          message: () => `cluster ${name} routes not established (routes per node: ${nodes.map((n) => `${n.hostport}=${counts.get(n) ?? '?'}`).join(', ')})`,
        },
      );
    },
    async stopAll() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
  try {
    await Promise.all(nodes.map((node) => node.start()));
    await cluster.waitForRoutes();
  } catch (err) {
    await cluster.stopAll();
    throw err;
  }
  return cluster;
}
