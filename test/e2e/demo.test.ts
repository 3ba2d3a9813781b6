import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';

/**
 * `npm run demo` end to end: the built demo (build/sample/demo/run-demo.js)
 * runs as a child process, as the npm script runs it, against a nats-server
 * the test starts, and against an address where nothing listens (the demo
 * starts its own). Never the shared server on 4222.
 */

const DEMO = fileURLToPath(new URL('../../sample/demo/run-demo.js', import.meta.url));
const DEMO_TIMEOUT_MS = 120_000;
const FINAL_LINE = /^demo: (\d+)\/(\d+) steps ok$/;

interface DemoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  lines: string[];
}

function runDemo(env: Record<string, string>): Promise<DemoRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv['DEMO_VERBOSE'];
  if (!('DEMO_HTTP_PORT' in env)) delete childEnv['DEMO_HTTP_PORT'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(new Error(`the demo did not finish within ${DEMO_TIMEOUT_MS} ms:\n${output}`));
    }, DEMO_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const lines = output.split('\n').filter((line) => line.trim() !== '');
      resolve({ code, signal, output, lines });
    });
  });
}

/** Pids the demo said it started: "(pid 1234)". */
function startedPids(run: DemoRun): number[] {
  return [...run.output.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function assertSucceeded(run: DemoRun): void {
  assert.equal(run.code, 0, `the demo exited with ${run.code ?? run.signal}:\n${run.output}`);
  const last = run.lines.at(-1) ?? '';
  const match = FINAL_LINE.exec(last);
  assert.ok(match, `last line is not "demo: N/N steps ok": ${JSON.stringify(last)}\n${run.output}`);
  const [, ok, total] = match;
  assert.equal(ok, total, run.output);
  assert.ok(Number(total) >= 5, `only ${total} steps`);
  // Every step printed its title and ended with "ok".
  assert.equal(run.lines.filter((l) => /^\[\d+\/\d+\] /.test(l)).length, Number(total), run.output);
  assert.equal(run.lines.filter((l) => l.trim() === 'ok').length, Number(total), run.output);
  for (const text of ['GET /add?a=2&b=5 → 200 {"result":7}', 'service2.sum', '→ 400', '→ 422', '→ 504', 'service1.whoami', 'POST /audit', 'SERVICE   VERSION', 'GET /health → 200', 'GET /health → 503', 'GET /sum  server']) {
    assert.ok(run.output.includes(text), `the scenario output lacks ${JSON.stringify(text)}:\n${run.output}`);
  }
}

function assertNothingLeft(run: DemoRun, expected: number): void {
  const pids = startedPids(run);
  assert.equal(pids.length, expected, `expected ${expected} started processes:\n${run.output}`);
  const alive = pids.filter(isAlive);
  assert.deepEqual(alive, [], `processes left behind: ${alive.join(', ')}`);
}

describe('npm run demo', { timeout: 4 * DEMO_TIMEOUT_MS }, () => {
  describe('with a NATS server already running at PICOM_SERVERS', () => {
    let server: NatsServerHandle;
    before(async () => {
      server = await startNatsServer();
    });
    after(async () => {
      await server?.stop();
    });

    it('runs every step, uses that server and leaves it running, with nobody connected', async () => {
      const run = await runDemo({ PICOM_SERVERS: server.url });
      assertSucceeded(run);
      assert.match(run.output, new RegExp(`using the server already running at ${server.hostport}`));
      assert.doesNotMatch(run.output, /starting .*nats-server/);
      assertNothingLeft(run, 4);
      assert.ok(server.running, 'the demo must not stop a server it did not start');
      let connections = -1;
      await waitUntil(
        async () => (connections = (await server.monitor<{ num_connections: number }>('connz')).num_connections) === 0,
        { timeout: 2_000, message: () => `the demo left ${connections} connection(s) open` },
      );
    });
  });

  describe('with nothing listening at PICOM_SERVERS', () => {
    it('starts a local nats-server itself, says so, and stops it at the end', async () => {
      const port = await freePort();
      const run = await runDemo({ PICOM_SERVERS: `nats://127.0.0.1:${port}` });
      assertSucceeded(run);
      assert.match(run.output, new RegExp(`nothing listens at 127\\.0\\.0\\.1:${port}; starting \\S*nats-server`));
      assertNothingLeft(run, 5);
      assert.equal(await accepts(port), false, `something still listens on ${port}`);
    });

    it('without a nats-server binary, says how to install one and exits non-zero', async () => {
      const port = await freePort();
      const run = await runDemo({ PICOM_SERVERS: `nats://127.0.0.1:${port}`, NATS_SERVER_BIN: '/nonexistent/nats-server' });
      assert.equal(run.code, 1, run.output);
      for (const hint of ['apt-get install nats-server', 'brew install nats-server', 'docker run']) {
        assert.ok(run.output.includes(hint), `no ${JSON.stringify(hint)} in:\n${run.output}`);
      }
      assert.match(run.lines.at(-1) ?? '', /^demo: failed/);
      assertNothingLeft(run, 0);
    });
  });

  describe('when a sample cannot start', () => {
    let blocker: Server;
    let blockedPort: number;
    before(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      blockedPort = (blocker.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it('names the sample, exits non-zero and stops everything it had started', async () => {
      const port = await freePort();
      const run = await runDemo({ PICOM_SERVERS: `nats://127.0.0.1:${port}`, DEMO_HTTP_PORT: String(blockedPort) });
      assert.equal(run.code, 1, run.output);
      assert.match(run.lines.at(-1) ?? '', /^demo: failed before the scenario: gateway did not start/);
      assertNothingLeft(run, 5);
      assert.equal(await accepts(port), false, `the nats-server on ${port} was left running`);
    });
  });
});
