import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Picom } from 'picom';
import {
  DEFAULT_NATS_URL,
  INSTALL_HINT,
  findNatsServer,
  isListening,
  isLocal,
  natsAddresses,
  startNatsServer,
} from './nats.js';
import { SPAN_LINE_PREFIX } from '../tracing/span-line.js';
import { ManagedProcess, waitForLine } from './processes.js';
import { STEPS, type DemoContext } from './scenario.js';

/**
 * `npm run demo`: starts the samples against NATS, runs the scenario, stops
 * everything it started, and ends with `demo: N/N steps ok` (exit 0) or says
 * what failed (exit 1).
 *
 *   PICOM_SERVERS   NATS servers, comma-separated (default nats://127.0.0.1:4222);
 *                   when nothing listens there, a local nats-server is started
 *   NATS_SERVER_BIN the nats-server to start (default: found in PATH)
 *   DEMO_HTTP_PORT  the gateway's port (default: a free one)
 *   DEMO_VERBOSE=1  also print what the samples log (or pass --verbose),
 *                   their `otel-span` lines included
 *
 * The samples run with PICOM_DEMO_TRACE=1: each prints its spans as
 * `otel-span {json}` lines, which the demo collects for the traced step.
 */

const READY_TIMEOUT_MS = 30_000;
const verbose = process.argv.includes('--verbose') || Boolean(process.env['DEMO_VERBOSE']);
const servers = process.env['PICOM_SERVERS'] || DEFAULT_NATS_URL;

interface SampleSpec {
  name: string;
  what: string;
  entry: string;
  ready: RegExp;
  env?: NodeJS.ProcessEnv;
}

/** Raised for a failure the demo explains itself: no stack trace needed. */
class DemoError extends Error {}

const children: ManagedProcess[] = [];
let natsServer: ManagedProcess | undefined;
let picom: Picom | undefined;
let stopping: Promise<void> | undefined;

function say(line = ''): void {
  console.log(line);
}

function samplePath(relative: string): string {
  return fileURLToPath(new URL(relative, import.meta.url));
}

async function ensureNats(): Promise<void> {
  let addresses: ReturnType<typeof natsAddresses>;
  try {
    addresses = natsAddresses(servers);
  } catch (err) {
    throw new DemoError(`PICOM_SERVERS is not a list of NATS addresses: ${(err as Error).message}`);
  }
  const where = addresses.map((a) => a.hostport).join(', ');
  if (addresses.length === 0) {
    throw new DemoError(`PICOM_SERVERS=${JSON.stringify(servers)} names no server`);
  }
  for (const address of addresses) {
    if (await isListening(address)) {
      say(`NATS: using the server already running at ${address.hostport}`);
      return;
    }
  }
  const first = addresses[0] as (typeof addresses)[number];
  if (!isLocal(first)) {
    throw new DemoError(`nothing listens at ${where}, and ${first.host} is not this machine: start NATS there, or set PICOM_SERVERS`);
  }
  const bin = findNatsServer();
  if (!bin) {
    say(`NATS: nothing listens at ${where}.`);
    say(INSTALL_HINT);
    throw new DemoError(`no NATS server at ${where} and no nats-server binary to start one`);
  }
  say(`NATS: nothing listens at ${where}; starting ${bin} on ${first.hostport} for this demo`);
  natsServer = await startNatsServer(bin, first, verbose);
  say(`      nats-server ready (pid ${natsServer.pid}); it is stopped at the end`);
}

async function startSamples(): Promise<{ gateway: string; maths: ManagedProcess[] }> {
  const port = Number(process.env['DEMO_HTTP_PORT']) || (await freePort());
  const specs: SampleSpec[] = [
    { name: 'math-1', what: 'Nest microservice, service1', entry: '../math/src/main.js', ready: /service1 ready/, env: { INSTANCE_ID: 'math-1' } },
    { name: 'math-2', what: 'Nest microservice, service1', entry: '../math/src/main.js', ready: /service1 ready/, env: { INSTANCE_ID: 'math-2' } },
    { name: 'legacy', what: 'plain Picom, service2', entry: '../legacy/src/main.js', ready: /service2 ready/ },
    { name: 'gateway', what: `Nest HTTP app, http://127.0.0.1:${port}`, entry: '../gateway/src/main.js', ready: /gateway ready/, env: { PORT: String(port), HOST: '127.0.0.1' } },
  ];
  const started = await Promise.all(
    specs.map(async (spec) => {
      const env = { ...process.env, ...spec.env, PICOM_SERVERS: servers, NO_COLOR: '1', PICOM_DEMO_TRACE: '1', OTEL_SERVICE_NAME: spec.name };
      const child = await ManagedProcess.start(spec.name, process.execPath, [samplePath(spec.entry)], env, verbose);
      children.push(child);
      return { spec, child };
    }),
  );
  for (const { spec, child } of started) {
    say(`started ${spec.name.padEnd(8)} ${spec.what} (pid ${child.pid})`);
  }
  await Promise.all(
    started.map(async ({ spec, child }) => {
      try {
        await waitForLine([child], spec.ready, READY_TIMEOUT_MS);
      } catch (err) {
        throw new DemoError(`${spec.name} did not start: ${(err as Error).message}\n${indent(logTail(child))}`);
      }
    }),
  );
  say(`all ${started.length} samples ready`);
  return { gateway: `http://127.0.0.1:${port}`, maths: started.filter(({ spec }) => spec.name.startsWith('math')).map(({ child }) => child) };
}

async function runScenario(ctx: DemoContext): Promise<string[]> {
  const failed: string[] = [];
  for (const [index, step] of STEPS.entries()) {
    const label = `${index + 1}/${STEPS.length}`;
    say();
    say(`[${label}] ${step.title}`);
    try {
      await step.run(ctx, (line) => say(`      ${line}`));
      say('      ok');
    } catch (err) {
      say(`      FAILED: ${err instanceof Error ? err.message : String(err)}`);
      failed.push(`step ${label} (${step.title})`);
    }
  }
  return failed;
}

/** Stops what the demo started: the samples first, the nats-server it started last. */
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    await picom?.close().catch(() => undefined);
    await Promise.all(children.map((child) => child.stop()));
    await natsServer?.stop();
    const stopped = [...children.map((c) => c.name), ...(natsServer ? ['the nats-server it started'] : [])];
    if (stopped.length > 0) {
      say();
      say(`stopped ${stopped.join(', ')}`);
    }
  })();
  return stopping;
}

async function main(): Promise<number> {
  say(`picom demo: NATS at ${servers.includes('@') ? '(address with credentials)' : servers}`);
  let failed: string[];
  try {
    await ensureNats();
    const { gateway, maths } = await startSamples();
    picom = new Picom('demo', { servers, timeout: 5_000 });
    await picom.connect();
    failed = await runScenario({ gateway, picom, maths, servers, samples: children });
  } catch (err) {
    await stopAll();
    if (!(err instanceof DemoError)) {
      say(err instanceof Error ? (err.stack ?? err.message) : String(err));
    } else if (err.message.includes('\n')) {
      say(err.message);
    }
    say(`demo: failed before the scenario: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    return 1;
  }
  await stopAll();
  const ok = STEPS.length - failed.length;
  if (failed.length > 0) {
    for (const child of children) {
      say(`--- last output of ${child.name} ---`);
      say(indent(logTail(child)));
    }
    say(`demo: ${ok}/${STEPS.length} steps ok; failed: ${failed.join(', ')}`);
    return 1;
  }
  say(`demo: ${ok}/${STEPS.length} steps ok`);
  return 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The last lines a sample logged, without its span lines: what explains a failure. */
function logTail(child: ManagedProcess, count = 15): string[] {
  return child.lines.filter((line) => !line.startsWith(SPAN_LINE_PREFIX)).slice(-count);
}

function indent(lines: string[]): string {
  return lines.map((line) => `      | ${line}`).join('\n');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`\ndemo: interrupted by ${signal}, stopping what it started`);
    void stopAll().finally(() => process.exit(130));
  });
}
// Whatever happens, no child outlives the demo.
process.once('exit', () => {
  for (const child of [...children, ...(natsServer ? [natsServer] : [])]) {
    child.killNow();
  }
});

process.exitCode = await main();
