import type { SpanLine } from '../tracing/span-line.js';

/** One span and the spans it started, in start order. */
export interface TraceNode {
  readonly span: SpanLine;
  readonly children: TraceNode[];
  /** The span names a parent that is not among the spans (not collected, or in a process not watched). */
  readonly orphan: boolean;
}

/**
 * The spans of one trace as a forest. Roots and children are sorted by start
 * time; a span whose parent is missing is shown at the root (marked orphan)
 * rather than dropped, so an incomplete trace still shows all it has.
 */
export function buildTraceTree(spans: readonly SpanLine[]): TraceNode[] {
  const byId = new Map<string, SpanLine>();
  for (const span of spans) {
    if (!byId.has(span.spanId)) byId.set(span.spanId, span);
  }
  const children = new Map<string, SpanLine[]>();
  const roots: SpanLine[] = [];
  for (const span of byId.values()) {
    const parent = span.parentSpanId;
    if (parent !== undefined && parent !== span.spanId && byId.has(parent)) {
      children.set(parent, [...(children.get(parent) ?? []), span]);
    } else {
      roots.push(span);
    }
  }
  const visited = new Set<string>();
  const node = (span: SpanLine): TraceNode => {
    visited.add(span.spanId);
    const kids = byStart(children.get(span.spanId) ?? []).filter((kid) => !visited.has(kid.spanId));
    return { span, orphan: span.parentSpanId !== undefined && !byId.has(span.parentSpanId), children: kids.map(node) };
  };
  const forest = byStart(roots).map(node);
  // Spans only reachable through a cycle of parent ids (bad data): shown at the root too.
  const left = byStart([...byId.values()].filter((span) => !visited.has(span.spanId)));
  for (const span of left) {
    if (!visited.has(span.spanId)) forest.push({ ...node(span), orphan: true });
  }
  return forest;
}

/**
 * The trace as indented lines, one per span: the tree with the span's name
 * and kind, the process that made it, and its duration, in aligned columns.
 *
 *   GET /sum  server                   gateway  4.1 ms
 *   └─ service2.sum  client            gateway  3.2 ms
 *      └─ service2.sum  server         legacy   2.7 ms
 */
export function formatTraceTree(spans: readonly SpanLine[]): string[] {
  const rows: { label: string; process: string; duration: string; note: string }[] = [];
  const walk = (node: TraceNode, lead: string, branch: string): void => {
    const { span } = node;
    const notes = [
      ...(node.orphan ? [`(parent ${span.parentSpanId ?? '?'} not collected)`] : []),
      ...(span.status === 'error' ? [`ERROR${span.error ? `: ${span.error}` : ''}`] : []),
    ];
    rows.push({ label: `${lead}${branch}${span.name}  ${span.kind}`, process: span.process, duration: formatDuration(span.duration), note: notes.join(' ') });
    const childLead = lead + (branch === '' ? '' : branch === LAST ? '   ' : '│  ');
    node.children.forEach((child, index) => walk(child, childLead, index === node.children.length - 1 ? LAST : MIDDLE));
  };
  for (const root of buildTraceTree(spans)) walk(root, '', '');
  const labelWidth = Math.max(0, ...rows.map((r) => r.label.length));
  const processWidth = Math.max(0, ...rows.map((r) => r.process.length));
  const durationWidth = Math.max(0, ...rows.map((r) => r.duration.length));
  return rows.map((r) =>
    `${r.label.padEnd(labelWidth)}  ${r.process.padEnd(processWidth)}  ${r.duration.padStart(durationWidth)}${r.note ? `  ${r.note}` : ''}`,
  );
}

/** `0.3 ms`, `12.5 ms`, `1.20 s`. */
export function formatDuration(ms: number): string {
  return ms < 1_000 ? `${ms.toFixed(1)} ms` : `${(ms / 1_000).toFixed(2)} s`;
}

const MIDDLE = '├─ ';
const LAST = '└─ ';

function byStart(spans: SpanLine[]): SpanLine[] {
  return [...spans].sort((a, b) => a.start - b.start);
}
