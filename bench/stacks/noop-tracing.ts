import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Takes every batch and drops it: the SDK's cost without any I/O. */
class NoopSpanExporter implements SpanExporter {
  export(_spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

let registered = false;

/**
 * Registers an OpenTelemetry SDK in this process as an app would, before its
 * Picom endpoints exist: tracer provider with a batch processor and a no-op
 * exporter, the AsyncLocalStorage context manager, the W3C propagator. The
 * `-otel` stacks call it in the bench child process that runs them (server
 * and client each), so both sides of every call make spans.
 */
export function registerNoopTracing(): void {
  if (registered) return;
  registered = true;
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new NoopSpanExporter())] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
}
