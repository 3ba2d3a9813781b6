/**
 * One finished span as the samples print it when `PICOM_DEMO_TRACE=1`:
 * a line `otel-span {json}` on stdout. The demo collects these lines from
 * every sample process and prints one trace as a tree (`sample/demo/trace-tree.ts`).
 * No OpenTelemetry import here: the demo reads the lines without loading OTel.
 */

/** What starts a span line; the rest of the line is the JSON of a `SpanLine`. */
export const SPAN_LINE_PREFIX = 'otel-span ';

export type SpanLineKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanLineStatus = 'unset' | 'ok' | 'error';

export interface SpanLine {
  traceId: string;
  spanId: string;
  /** Absent on a root span. */
  parentSpanId?: string;
  name: string;
  kind: SpanLineKind;
  /** Start, in ms since the epoch (with a fraction): comparable across processes on one machine. */
  start: number;
  /** Duration in ms. */
  duration: number;
  status: SpanLineStatus;
  /** The status message of an error span. */
  error?: string;
  /** The process that made the span (`OTEL_SERVICE_NAME`, as the demo names it). */
  process: string;
  attributes?: Record<string, string | number | boolean>;
}

export function formatSpanLine(span: SpanLine): string {
  return SPAN_LINE_PREFIX + JSON.stringify(span);
}

/** The span of an `otel-span` line; `undefined` for any other line or a malformed one. */
export function parseSpanLine(line: string): SpanLine | undefined {
  if (!line.startsWith(SPAN_LINE_PREFIX)) {
    return undefined;
  }
  try {
    const span = JSON.parse(line.slice(SPAN_LINE_PREFIX.length)) as Partial<SpanLine> | null;
    const valid =
      typeof span?.traceId === 'string' &&
      typeof span.spanId === 'string' &&
      typeof span.name === 'string' &&
      typeof span.start === 'number' &&
      typeof span.duration === 'number';
    return valid ? (span as SpanLine) : undefined;
  } catch {
    return undefined;
  }
}
