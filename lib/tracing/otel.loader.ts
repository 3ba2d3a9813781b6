import { PicomTelemetry } from './picom.telemetry.js';

/** The `@opentelemetry/api` module, as `import()` gives it. */
export type OtelApi = typeof import('@opentelemetry/api');

/** The one load of the process: started by the first endpoint that connects with `tracing` on. */
let loading: Promise<PicomTelemetry | undefined> | undefined;

/**
 * Loads `@opentelemetry/api` once, lazily, and makes the process's one
 * `PicomTelemetry` over it. Resolves `undefined` when the package is not
 * installed: tracing stays off, silently (it is an optional peer). A dynamic
 * `import()` so that nothing is loaded until an endpoint asks; the CommonJS
 * build turns it into a `require()`.
 */
export function loadTelemetry(): Promise<PicomTelemetry | undefined> {
  loading ??= import('@opentelemetry/api').then(
    (api: OtelApi) => new PicomTelemetry(api),
    () => undefined,
  );
  return loading;
}
