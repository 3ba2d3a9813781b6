/**
 * `tracing: false`, the endpoint option that turns Picom's tracing off
 * (issue 10), for client and server alike. In its own module so that the
 * `-notrace` stacks load no OpenTelemetry SDK. Typed as a plain object until
 * the option is in Picom's option types (the tracing branch); once merged
 * this can become `{ tracing: false } satisfies PicomOptions`.
 */
export const TRACING_OFF: object = { tracing: false };
