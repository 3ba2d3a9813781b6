import type { PicomOptions } from 'picom';

/**
 * `tracing: false` for client and server alike, in its own module so that the
 * `-notrace` stacks load no OpenTelemetry SDK.
 */
export const TRACING_OFF = { tracing: false } satisfies PicomOptions;
