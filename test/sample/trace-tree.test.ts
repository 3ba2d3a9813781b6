import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sumTraceProblem } from '../../sample/demo/sum-trace.js';
import { buildTraceTree, formatDuration, formatTraceTree } from '../../sample/demo/trace-tree.js';
import { formatSpanLine, parseSpanLine, type SpanLine } from '../../sample/tracing/span-line.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const T0 = 1_750_000_000_000;

/** A hand-made span: `start` in ms after T0. */
function span(spanId: string, parentSpanId: string | undefined, name: string, kind: SpanLine['kind'], process: string, start: number, duration: number, extra: Partial<SpanLine> = {}): SpanLine {
  return { traceId: TRACE, spanId, ...(parentSpanId ? { parentSpanId } : {}), name, kind, start: T0 + start, duration, status: 'unset', process, ...extra };
}

// One gateway request, listed out of order, as lines arrive from several processes.
const SUM: SpanLine[] = [
  span('add2srv', 'add2cli', 'service1.add', 'server', 'math-2', 2.6, 0.2),
  span('add1cli', 'sumsrv', 'service1.add', 'client', 'legacy', 1.1, 0.9),
  span('sumsrv', 'sumcli', 'service2.sum', 'server', 'legacy', 1.0, 2.7),
  span('root', undefined, 'GET /sum', 'server', 'gateway', 0, 4.1),
  span('add2cli', 'sumsrv', 'service1.add', 'client', 'legacy', 2.4, 0.8),
  span('sumcli', 'root', 'service2.sum', 'client', 'gateway', 0.5, 3.2),
  span('add1srv', 'add1cli', 'service1.add', 'server', 'math-1', 1.3, 0.25),
];

describe('trace tree', () => {
  it('nests spans under their parents, siblings in start order, with aligned process and duration columns', () => {
    assert.deepEqual(formatTraceTree(SUM), [
      'GET /sum  server                  gateway  4.1 ms',
      '└─ service2.sum  client           gateway  3.2 ms',
      '   └─ service2.sum  server        legacy   2.7 ms',
      '      ├─ service1.add  client     legacy   0.9 ms',
      '      │  └─ service1.add  server  math-1   0.3 ms',
      '      └─ service1.add  client     legacy   0.8 ms',
      '         └─ service1.add  server  math-2   0.2 ms',
    ]);
    const [root] = buildTraceTree(SUM);
    assert.equal(root?.span.spanId, 'root');
    assert.deepEqual(root?.children[0]?.children[0]?.children.map((c) => c.span.spanId), ['add1cli', 'add2cli']);
  });

  it('orders siblings by start time, not by the order the lines arrived in', () => {
    const reversed = [...SUM].reverse();
    assert.deepEqual(formatTraceTree(reversed), formatTraceTree(SUM));
    const late = SUM.map((s) => (s.spanId === 'add1cli' ? { ...s, start: T0 + 3 } : s));
    const adds = buildTraceTree(late)[0]?.children[0]?.children[0]?.children.map((c) => c.span.spanId);
    assert.deepEqual(adds, ['add2cli', 'add1cli']);
  });

  it('shows a span whose parent was not collected at the root, in start order, saying so', () => {
    const partial = SUM.filter((s) => s.spanId !== 'sumsrv' && s.spanId !== 'add1cli');
    const forest = buildTraceTree(partial);
    assert.deepEqual(
      forest.map((n) => [n.span.spanId, n.orphan]),
      [
        ['root', false],
        ['add1srv', true],
        ['add2cli', true],
      ],
    );
    assert.deepEqual(formatTraceTree(partial), [
      'GET /sum  server         gateway  4.1 ms',
      '└─ service2.sum  client  gateway  3.2 ms',
      'service1.add  server     math-1   0.3 ms  (parent add1cli not collected)',
      'service1.add  client     legacy   0.8 ms  (parent sumsrv not collected)',
      '└─ service1.add  server  math-2   0.2 ms',
    ]);
  });

  it('gives each span its own duration, marks errors, and writes durations in ms below a second', () => {
    const failed = [span('a', undefined, 'service1.sleep', 'client', 'gateway', 0, 1_003.4567, { status: 'error', error: 'timed out' })];
    assert.deepEqual(formatTraceTree(failed), ['service1.sleep  client  gateway  1.00 s  ERROR: timed out']);
    assert.equal(formatDuration(0.04), '0.0 ms');
    assert.equal(formatDuration(4.06), '4.1 ms');
    assert.equal(formatDuration(999.94), '999.9 ms');
    assert.equal(formatDuration(1_500), '1.50 s');
    assert.deepEqual(formatTraceTree([]), []);
  });

  it('reads back the span lines the samples write, and nothing else', () => {
    const [first] = SUM;
    assert.ok(first);
    assert.deepEqual(parseSpanLine(formatSpanLine(first)), first);
    assert.equal(parseSpanLine('[Nest] 1234  - LOG [Main] service1 ready'), undefined);
    assert.equal(parseSpanLine('otel-span {not json'), undefined);
    assert.equal(parseSpanLine('otel-span {"traceId":"x"}'), undefined);
  });
});

describe("the demo's check of the GET /sum trace", () => {
  it('accepts the full tree, with a publish and its consumer beside it', () => {
    const withAudit = [
      ...SUM,
      span('pub', 'sumsrv', 'publish service1.audit', 'producer', 'legacy', 3.4, 0.1),
      span('sub', 'pub', 'process service1.audit', 'consumer', 'math-1', 3.6, 0.3),
    ];
    assert.equal(sumTraceProblem(SUM, 2), undefined);
    assert.equal(sumTraceProblem(withAudit, 2), undefined);
    assert.equal(sumTraceProblem(SUM.map((s) => ({ ...s, name: s.name.replace('.', '/') })), 2), undefined, 'service2/sum names count too');
  });

  it('names the first missing hop', () => {
    const without = (...ids: string[]): SpanLine[] => SUM.filter((s) => !ids.includes(s.spanId));
    assert.match(sumTraceProblem(without('root'), 2) ?? '', /no "GET \/sum" server span/);
    assert.match(sumTraceProblem(without('sumcli', 'sumsrv', 'add1cli', 'add2cli', 'add1srv', 'add2srv'), 2) ?? '', /no service2\.sum client span/);
    assert.match(sumTraceProblem(without('sumsrv'), 2) ?? '', /no service2\.sum server span from legacy/);
    assert.match(sumTraceProblem(without('add2cli', 'add2srv'), 2) ?? '', /expected 2 service1\.add client spans .* found 1/);
    assert.match(sumTraceProblem(SUM, 3) ?? '', /expected 3 service1\.add client spans .* found 2/);
    assert.match(sumTraceProblem(without('add1srv'), 2) ?? '', /1 of the service1\.add client spans have no server span/);
  });

  it('refuses spans of the wrong kind or process, and a second root', () => {
    const changed = (id: string, change: Partial<SpanLine>): SpanLine[] => SUM.map((s) => (s.spanId === id ? { ...s, ...change } : s));
    assert.match(sumTraceProblem(changed('sumcli', { kind: 'producer' }), 2) ?? '', /no service2\.sum client span/);
    assert.match(sumTraceProblem(changed('sumsrv', { process: 'gateway' }), 2) ?? '', /no service2\.sum server span from legacy/);
    assert.match(sumTraceProblem(changed('add1srv', { process: 'legacy' }), 2) ?? '', /no server span from a math instance/);
    const extraRoot = [...SUM, span('other', undefined, 'service1.add', 'client', 'legacy', 5, 0.5)];
    assert.match(sumTraceProblem(extraRoot, 2) ?? '', /expected one root span, found 2/);
  });
});
