import { basename, dirname } from 'node:path';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanLineExporter } from './span-line.exporter.js';

/**
 * Registers the SDK globally, as an app does before it creates its Picom
 * endpoints. Loaded only when `PICOM_DEMO_TRACE=1` (see `register-tracing.ts`).
 */
export function setupTracing(): typeof api {
  const name = process.env['OTEL_SERVICE_NAME'] || sampleName();
  // Simple, not batched: each span is written when it ends, so the demo sees a trace at once.
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new SpanLineExporter(name))] });
  // Without an AsyncLocalStorage context manager, the context would not survive an await
  // in a handler, and the calls it makes would start new traces.
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  return api;
}

/** `math` for `.../sample/math/src/main.js`. */
function sampleName(): string {
  return basename(dirname(dirname(process.argv[1] ?? 'sample/src/main.js')));
}
