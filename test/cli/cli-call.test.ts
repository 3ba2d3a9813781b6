import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Picom, PicomReplyError } from 'picom';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { assertExit, runPicom } from '../fixtures/cli.fixture.js';

/** `picom call|publish|bench` as a child process against a real Picom service. */
describe('picom call, publish, bench', () => {
  let nats: NatsServerHandle;
  let service: Picom;
  let servers: string[];
  const recorded: unknown[] = [];

  before(async () => {
    nats = await startNatsServer();
    servers = ['--servers', nats.url];
    service = new Picom('calc', { servers: nats.url });
    await service.expose({
      add: (m: { a: number; b: number }) => ({ result: m.a + m.b }),
      echo: (m: unknown) => m,
      fail: () => {
        throw new PicomReplyError('cannot divide by zero', { code: 'E_DIV', detail: { b: 0 } });
      },
      slow: () => new Promise((resolve) => setTimeout(() => resolve('late'), 2_000)),
      headers: (_m: unknown, msg) => ({ trace: msg.headers?.get('x-trace'), multi: msg.headers?.values('x-multi') }),
      record: (m: unknown) => {
        recorded.push(m);
      },
    });
  });

  after(async () => {
    await service?.close();
    await nats?.stop();
  });

  it('call prints the payload as JSON on stdout, exit 0', async () => {
    const run = await runPicom(['call', 'calc.add', '{"a":2,"b":5}', ...servers]);
    assertExit(run, 0, 'call');
    assert.deepEqual(JSON.parse(run.stdout), { result: 7 });
    assert.equal(run.stderr, '');
  });

  it('call without a message sends none (the handler gets null); "-" reads standard input', async () => {
    const none = await runPicom(['call', 'calc.echo', ...servers]);
    assertExit(none, 0, 'call without message');
    assert.equal(JSON.parse(none.stdout), null);
    const stdin = await runPicom(['call', 'calc.add', '-', ...servers], { stdin: '{\n  "a": 40,\n  "b": 2\n}\n' });
    assertExit(stdin, 0, 'call -');
    assert.deepEqual(JSON.parse(stdin.stdout), { result: 42 });
  });

  it('a remote error: its text and fields on stderr, exit 1; --json prints them as JSON', async () => {
    const run = await runPicom(['call', 'calc.fail', '{}', ...servers]);
    assertExit(run, 1, 'remote error');
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /remote error from calc\.fail: cannot divide by zero/);
    assert.match(run.stderr, /^ {2}code: "E_DIV"$/m);
    assert.match(run.stderr, /^ {2}detail: \{"b":0\}$/m);
    const json = await runPicom(['call', 'calc.fail', '{}', '--json', ...servers]);
    assertExit(json, 1, 'remote error --json');
    assert.deepEqual(JSON.parse(json.stderr), { error: 'cannot divide by zero', code: 'E_DIV', detail: { b: 0 } });
  });

  it('no responders: exit 3 at once; timeout: exit 3 after --timeout', async () => {
    const none = await runPicom(['call', 'nobody.add', '{}', '--timeout', '5000', ...servers]);
    assertExit(none, 3, 'no responders');
    assert.match(none.stderr, /No service is listening on nobody\.add/);
    assert.ok(none.ms < 4_000, `no responders took ${none.ms.toFixed(0)} ms`);
    const slow = await runPicom(['call', 'calc.slow', '--timeout', '300', ...servers]);
    assertExit(slow, 3, 'timeout');
    assert.match(slow.stderr, /Request calc\.slow timed out/);
    assert.equal(slow.stdout, '');
  });

  it('a malformed JSON message: exit 2, the message says where, nothing sent', async () => {
    const run = await runPicom(['call', 'calc.record', '{"a":1,}', ...servers]);
    assertExit(run, 2, 'bad JSON');
    assert.match(run.stderr, /invalid JSON in the message argument at position 7 \(line 1, column 8\): found "}", expected a property name/);
    assert.match(run.stderr, /^ {2}\{"a":1,\}\n {9}\^$/m);
    const stdin = await runPicom(['call', 'calc.record', '-', ...servers], { stdin: '{\n  "a": tru\n}' });
    assertExit(stdin, 2, 'bad JSON on stdin');
    assert.match(stdin.stderr, /read from standard input at position \d+ \(line 2, column 11\)/);
    const empty = await runPicom(['publish', 'calc.record', '', ...servers]);
    assertExit(empty, 2, 'empty JSON');
    assert.match(empty.stderr, /at position 0 .*found the end of the input/);
    assert.deepEqual(recorded, [], 'a message was sent');
  });

  it('--header k=v reaches the handler, repeated names as several values; a header without "=" is exit 2', async () => {
    const run = await runPicom(['call', 'calc.headers', '--header', 'x-trace=abc=1', '-H', 'x-multi=1', '--header', 'x-multi=2', ...servers]);
    assertExit(run, 0, 'headers');
    assert.deepEqual(JSON.parse(run.stdout), { trace: 'abc=1', multi: ['1', '2'] });
    const bad = await runPicom(['call', 'calc.headers', '--header', 'Authorization', ...servers]);
    assertExit(bad, 2, 'header without =');
    assert.match(bad.stderr, /invalid --header \(number 1\): expected name=value/);
  });

  it('an invalid subject: exit 2 before connecting', async () => {
    const run = await runPicom(['call', 'calc', '{}', '--servers', '127.0.0.1:1']);
    assertExit(run, 2, 'invalid subject');
    assert.match(run.stderr, /Invalid Picom subject "calc"/);
  });

  it('publish reaches the handler, exit 0, prints nothing', async () => {
    const run = await runPicom(['publish', 'calc.record', '{"n":1}', ...servers]);
    assertExit(run, 0, 'publish');
    assert.equal(run.stdout + run.stderr, '');
    await waitUntil(() => recorded.length === 1, { message: 'the published message never reached the handler' });
    assert.deepEqual(recorded, [{ n: 1 }]);
  });

  it('bench: progress on stderr, then calls/s and p50/p99/max', async () => {
    const run = await runPicom(['bench', 'calc.add', '{"a":1,"b":2}', '--duration', '1500ms', '--concurrency', '4', ...servers]);
    assertExit(run, 0, 'bench');
    assert.match(run.stderr, /^picom bench: 1s, \d+ calls, \d+ calls\/s, 0 errors$/m);
    for (const label of ['calls/s', 'p50', 'p99', 'max']) {
      assert.match(run.stdout, new RegExp(`^${label}\\s+\\d`, 'm'), label);
    }
    assert.match(run.stdout, /^concurrency\s+4$/m);
    const json = await runPicom(['bench', 'calc.add', '{"a":1,"b":2}', '--duration', '500ms', '-c', '2', '--json', ...servers]);
    assertExit(json, 0, 'bench --json');
    const result = JSON.parse(json.stdout) as { calls: number; errors: number; calls_per_second: number; latency_ms: { p50: number; p99: number; max: number } };
    assert.ok(result.calls > 0 && result.calls_per_second > 0, json.stdout);
    assert.equal(result.errors, 0);
    assert.ok(result.latency_ms.p50 > 0 && result.latency_ms.p50 <= result.latency_ms.p99 && result.latency_ms.p99 <= result.latency_ms.max, json.stdout);
  });

  it('bench of a subject nobody serves stops at the first call: exit 3', async () => {
    const run = await runPicom(['bench', 'nobody.add', '--duration', '5s', ...servers]);
    assertExit(run, 3, 'bench nobody');
    assert.ok(run.ms < 4_000, `took ${run.ms.toFixed(0)} ms`);
    assert.equal(run.stdout, '');
  });
});
