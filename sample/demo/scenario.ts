import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import { Picom, PicomRemoteError } from 'picom';
import { parseSpanLine, type SpanLine } from '../tracing/span-line.js';
import { waitForLine, type ManagedProcess } from './processes.js';
import { sumTraceProblem } from './sum-trace.js';
import { formatTraceTree } from './trace-tree.js';

/** What the steps talk to. */
export interface DemoContext {
  /** The gateway's base URL, e.g. `http://127.0.0.1:3000`. */
  readonly gateway: string;
  /** The demo's own plain Picom endpoint (a caller only). */
  readonly picom: Picom;
  /** The two `math` instances serving `service1`. */
  readonly maths: ManagedProcess[];
  /** NATS servers, as the samples got them (`PICOM_SERVERS`). */
  readonly servers: string;
  /** Every sample process (started with `PICOM_DEMO_TRACE=1`: their spans are in their output). */
  readonly samples: readonly ManagedProcess[];
}

export interface Step {
  readonly title: string;
  /** Says what happens through `say`; throws when the step fails. */
  run(ctx: DemoContext, say: (line: string) => void): Promise<void>;
}

const HTTP_TIMEOUT_MS = 10_000;
const EVENT_TIMEOUT_MS = 5_000;
const LOAD_BALANCED_CALLS = 20;
/** How long the spans of one request get to reach the demo from every process. */
const TRACE_TIMEOUT_MS = 5_000;
/** After the tree is complete, a moment for the spans that may follow (the audit event's). */
const TRACE_SETTLE_MS = 200;
const TRACED_VALUES = [1, 2, 3];

export const STEPS: readonly Step[] = [
  {
    title: 'HTTP → Nest gateway → Nest service',
    async run({ gateway }, say) {
      const res = await http(gateway, 'GET', '/add?a=2&b=5', say);
      check(res.status === 200 && res.json?.['result'] === 7, 'expected 200 {"result":7}');
      say('the gateway (PicomClient) called service1.add, served by the math app (PicomServer)');
    },
  },
  {
    title: 'Nest → plain Picom service',
    async run({ gateway }, say) {
      const res = await http(gateway, 'GET', '/multiply?a=6&b=7', say);
      check(res.status === 200 && res.json?.['result'] === 42, 'expected 200 {"result":42}');
      say('the gateway called service2.multiply, served by the legacy app (new Picom(\'service2\'))');
    },
  },
  {
    title: 'Plain Picom service → Nest service',
    async run({ picom, maths }, say) {
      say('request service2.sum {"values":[1,2,3,4]}: service2 calls service1.add once per value');
      const reply = await picom.request<{ result: number; calls: number; audit: string }>('service2.sum', { values: [1, 2, 3, 4] });
      say(`← ${JSON.stringify(reply)}`);
      check(reply.result === 10 && reply.calls === 4, 'expected result 10 from 4 calls');
      const { process } = await waitForLine(maths, auditLine(reply.audit), EVENT_TIMEOUT_MS);
      say(`service2 also published service1.audit ${reply.audit}: handled by ${process.name}`);
    },
  },
  {
    title: 'One request, traced across processes',
    async run({ gateway, samples }, say) {
      const res = await http(gateway, 'GET', `/sum?values=${TRACED_VALUES.join(',')}`, say);
      check(res.status === 200 && res.json?.['result'] === 6, 'expected 200 {"result":6,...}');
      const traceId = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(res.headers.get('traceresponse') ?? '')?.[1];
      check(traceId !== undefined, 'the gateway answered without a traceresponse header: no tracing registered there (PICOM_DEMO_TRACE=1)');
      say(`the gateway's span for it is in trace ${traceId}; its spans, collected from every sample's output:`);
      const { spans, problem } = await collectTrace(samples, traceId, TRACED_VALUES.length);
      for (const line of formatTraceTree(spans)) say(`  ${line}`);
      check(problem === undefined, problem ?? '');
      const processes = new Set(spans.map((span) => span.process));
      say(`one trace id over ${spans.length} spans in ${processes.size} processes (${[...processes].join(', ')}): the context went along in NATS headers`);
    },
  },
  {
    title: 'Errors travel as envelopes and map to HTTP statuses',
    async run({ gateway, picom }, say) {
      const body = '{"a":2,"b":"oops"}';
      const raw = await picom.unwrap<NatsConnection>().request('service1.add', body, { timeout: HTTP_TIMEOUT_MS });
      say(`on the wire: service1.add ${body} ← ${raw.string()}`);
      const envelope = raw.json<{ error?: string; code?: string }>();
      check(typeof envelope.error === 'string' && envelope.code === 'INVALID_ARGUMENT', 'expected an error envelope with code INVALID_ARGUMENT');

      try {
        await picom.request('service1.divide', { a: 1, b: 0 });
        throw new Error('service1.divide by zero succeeded');
      } catch (err) {
        check(err instanceof PicomRemoteError, `expected a PicomRemoteError, got ${String(err)}`);
        say(`a plain caller gets ${err.name}: "${err.message}", fields ${JSON.stringify(err.fields)}`);
        check(err.fields['code'] === 'DIVISION_BY_ZERO', 'expected code DIVISION_BY_ZERO');
      }

      const invalid = await http(gateway, 'GET', '/add?a=2&b=oops', say);
      check(invalid.status === 400, 'expected 400 for invalid input');
      const refused = await http(gateway, 'GET', '/divide?a=1&b=0', say);
      check(refused.status === 422, 'expected 422 for a division by zero');
    },
  },
  {
    title: 'A timeout becomes 504',
    async run({ gateway }, say) {
      const started = performance.now();
      const res = await http(gateway, 'GET', '/sleep?ms=1500', say);
      const elapsed = Math.round(performance.now() - started);
      check(res.status === 504, 'expected 504 Gateway Timeout');
      check(elapsed < 1_500, `expected the 1 s budget to end the call, it took ${elapsed} ms`);
      say(`the call's 1 s budget ran out after ${elapsed} ms; service1.sleep was still busy`);
    },
  },
  {
    title: 'Load balancing over two math instances',
    async run({ picom, maths }, say) {
      const replies = await Promise.all(
        Array.from({ length: LOAD_BALANCED_CALLS }, () => picom.request<{ instance: string }>('service1.whoami')),
      );
      const counts = new Map<string, number>();
      for (const { instance } of replies) {
        counts.set(instance, (counts.get(instance) ?? 0) + 1);
      }
      const spread = maths.map((m) => `${m.name}: ${counts.get(m.name) ?? 0}`).join(', ');
      say(`${LOAD_BALANCED_CALLS} × service1.whoami → ${spread} (${replies.length}/${LOAD_BALANCED_CALLS} answered)`);
      check(replies.length === LOAD_BALANCED_CALLS, 'some calls were not answered');
      check(maths.every((m) => (counts.get(m.name) ?? 0) > 0), 'expected both instances to answer some calls');
      check([...counts.keys()].every((name) => maths.some((m) => m.name === name)), `unexpected instances: ${[...counts.keys()].join(', ')}`);
    },
  },
  {
    title: 'An event reaches exactly one instance',
    async run({ gateway, maths }, say) {
      const res = await http(gateway, 'POST', '/audit', say, { text: 'hello from the demo' });
      const id = res.json?.['id'];
      check(res.status === 202 && typeof id === 'string', 'expected 202 {"id":...}');
      const { process, line } = await waitForLine(maths, auditLine(id), EVENT_TIMEOUT_MS);
      say(`${process.name} logged: ${line.slice(line.indexOf('audit '))}`);
      // Give a duplicate delivery the time to show up before counting.
      await sleep(300);
      const handledBy = maths.filter((m) => m.lines.some((l) => auditLine(id).test(l)));
      check(handledBy.length === 1, `expected one instance to handle it, got ${handledBy.map((m) => m.name).join(', ')}`);
      say('the gateway emitted service1.audit; the queue group gave it to one instance');
    },
  },
  {
    title: '`picom ls`: every instance answers the NATS micro protocol',
    async run({ servers }, say) {
      const table = await picomCli(['ls'], servers);
      for (const line of table.trimEnd().split('\n')) say(line);
      const listed = JSON.parse(await picomCli(['ls', '--json'], servers)) as { name: string; instances: number; methods: string[] }[];
      const service1 = listed.find((s) => s.name === 'service1');
      const service2 = listed.find((s) => s.name === 'service2');
      check(service1?.instances === 2 && service1.methods.includes('add'), 'expected service1 with 2 instances and method add');
      check(service2?.instances === 1 && service2.methods.includes('multiply'), 'expected service2 with 1 instance and method multiply');
      say('both Nest instances and the plain Picom service answered $SRV.INFO (npx picom ls in an app)');
    },
  },
  {
    title: 'GET /health: up, then down once service1 stops',
    async run({ gateway, maths }, say) {
      const up = await http(gateway, 'GET', '/health', say);
      check(up.status === 200 && up.json?.['status'] === 'ok', 'expected 200 {"status":"ok",...}');
      say('stopping both math instances (SIGTERM)');
      await Promise.all(maths.map((m) => m.stop()));
      const down = await http(gateway, 'GET', '/health', say);
      const service1 = (down.json?.['error'] as Record<string, { reason?: string }> | undefined)?.['service1'];
      check(down.status === 503 && service1?.reason === 'too few instances', 'expected 503 with service1 down: too few instances');
      say('nats is still up; service1 is down with the reason: what a Kubernetes probe or a load balancer reads');
    },
  },
];

/**
 * The spans of trace `traceId` in the samples' output, once they form the
 * expected tree (or the time is up: then with what is wrong with it).
 */
async function collectTrace(samples: readonly ManagedProcess[], traceId: string, adds: number): Promise<{ spans: SpanLine[]; problem: string | undefined }> {
  const deadline = performance.now() + TRACE_TIMEOUT_MS;
  for (;;) {
    const spans = spansOf(samples, traceId);
    const problem = sumTraceProblem(spans, adds);
    if (problem === undefined) {
      await sleep(TRACE_SETTLE_MS);
      return { spans: spansOf(samples, traceId), problem };
    }
    if (performance.now() > deadline) {
      return { spans, problem: `after ${TRACE_TIMEOUT_MS} ms: ${problem}` };
    }
    await sleep(50);
  }
}

/** Each span once, named after the process that printed it. */
function spansOf(samples: readonly ManagedProcess[], traceId: string): SpanLine[] {
  const spans = new Map<string, SpanLine>();
  for (const sample of samples) {
    for (const line of sample.lines) {
      const span = parseSpanLine(line);
      if (span?.traceId === traceId) spans.set(span.spanId, { ...span, process: sample.name });
    }
  }
  return [...spans.values()];
}

/** Runs the package's `picom` command (its `bin`, as `npx picom` would) and resolves with its stdout. */
function picomCli(args: string[], servers: string): Promise<string> {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('picom/package.json');
  const bin = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }).bin['picom'] as string;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(dirname(manifest), bin), ...args, '--timeout', '500'],
      { env: { ...process.env, PICOM_SERVERS: servers }, timeout: HTTP_TIMEOUT_MS },
      (err, stdout, stderr) => (err ? reject(new Error(`picom ${args.join(' ')} failed: ${stderr || err.message}`)) : resolve(stdout)),
    );
  });
}

interface HttpResult {
  status: number;
  headers: Headers;
  json: Record<string, unknown> | undefined;
}

async function http(base: string, method: 'GET' | 'POST', path: string, say: (line: string) => void, body?: unknown): Promise<HttpResult> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const text = await res.text();
  say(`${method} ${path}${body === undefined ? '' : ' ' + JSON.stringify(body)} → ${res.status} ${text}`);
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json };
}

function auditLine(id: string): RegExp {
  return new RegExp(`\\baudit ${id.replace(/[^\w-]/g, '')}\\b`);
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) {
    throw new Error(message);
  }
}
