import { SpanKind, SpanStatusCode, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { formatSpanLine, type SpanLine, type SpanLineKind, type SpanLineStatus } from './span-line.js';

const KINDS: Record<SpanKind, SpanLineKind> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

const STATUSES: Record<SpanStatusCode, SpanLineStatus> = {
  [SpanStatusCode.UNSET]: 'unset',
  [SpanStatusCode.OK]: 'ok',
  [SpanStatusCode.ERROR]: 'error',
};

/** Writes each finished span as one `otel-span {json}` line on stdout. */
export class SpanLineExporter implements SpanExporter {
  constructor(private readonly processName: string) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    // One write per batch: lines of concurrent spans never interleave.
    process.stdout.write(spans.map((span) => formatSpanLine(this.toLine(span)) + '\n').join(''));
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  private toLine(span: ReadableSpan): SpanLine {
    const { traceId, spanId } = span.spanContext();
    const line: SpanLine = {
      traceId,
      spanId,
      name: span.name,
      kind: KINDS[span.kind],
      start: milliseconds(span.startTime),
      duration: milliseconds(span.duration),
      status: STATUSES[span.status.code],
      process: this.processName,
    };
    if (span.parentSpanContext) line.parentSpanId = span.parentSpanContext.spanId;
    if (span.status.message) line.error = span.status.message;
    const attributes: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(span.attributes)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[key] = value;
    }
    if (Object.keys(attributes).length > 0) line.attributes = attributes;
    return line;
  }
}

function milliseconds([seconds, nanos]: HrTime): number {
  return seconds * 1_000 + nanos / 1_000_000;
}
