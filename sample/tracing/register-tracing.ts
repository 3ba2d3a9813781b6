import type * as OtelApi from '@opentelemetry/api';

/**
 * Imported first by every sample's `main.ts`. With `PICOM_DEMO_TRACE=1` it
 * registers an OpenTelemetry SDK in this process — a tracer provider, the
 * AsyncLocalStorage context manager, the W3C trace-context propagator — and
 * an exporter writing each finished span as one `otel-span {json}` line on
 * stdout, which the demo collects. Picom finds the registered SDK by itself:
 * the samples' Picom code does not change.
 *
 * Without the variable it does nothing and loads no OpenTelemetry code: the
 * SDK is imported dynamically, behind the check.
 *
 *   PICOM_DEMO_TRACE=1   trace this process
 *   OTEL_SERVICE_NAME    the process name on its spans (default: the sample's folder)
 */

/** The environment variable that turns tracing on in the samples. */
export const TRACE_ENV = 'PICOM_DEMO_TRACE';

export type TracingApi = typeof OtelApi;

/** The OpenTelemetry API once an SDK is registered here; `undefined` when tracing is off. */
export const tracing: TracingApi | undefined =
  process.env[TRACE_ENV] === '1' ? (await import('./setup-tracing.js')).setupTracing() : undefined;
