import { TELEMETRY_RECHECK_CALLS } from './constants.js';
import { PicomTelemetry } from './picom.telemetry.js';

/** The `@opentelemetry/api` module, as `import()` gives it. */
export type OtelApi = typeof import('@opentelemetry/api');

/**
 * Where every copy of `@opentelemetry/api` 1.x in a process keeps what was
 * registered (tracer and meter providers, context manager, propagator): set
 * by the first registration, absent while no SDK was set up.
 */
const OTEL_GLOBALS = Symbol.for('opentelemetry.js.api.1');

/** Whether anything of OpenTelemetry was registered in this process (an SDK, a propagator...). */
export function otelRegistered(): boolean {
  return (globalThis as Record<symbol, unknown>)[OTEL_GLOBALS] !== undefined;
}

/**
 * The process's one `PicomTelemetry`, made once an SDK is registered. While
 * none is, `@opentelemetry/api` is not even loaded (loading it into a process
 * costs memory and, measured, call throughput, even with nothing recording):
 * an app that has the API installed through some dependency but never sets
 * up OpenTelemetry pays a counter per call.
 */
class TelemetrySource {
  /** Set once the API is loaded; never unset. */
  current: PicomTelemetry | undefined;
  private loading: Promise<PicomTelemetry | undefined> | undefined;
  /** Calls left before the next look for a registered SDK. */
  private countdown = 0;

  /**
   * The telemetry for this call, or `undefined` while none is loaded. Every
   * `TELEMETRY_RECHECK_CALLS` calls it looks for an SDK registered since, and
   * starts loading the API: calls are traced from when it is loaded.
   */
  get(): PicomTelemetry | undefined {
    const current = this.current;
    if (current !== undefined || --this.countdown > 0) {
      return current;
    }
    this.countdown = TELEMETRY_RECHECK_CALLS;
    if (otelRegistered()) {
      void this.load();
    }
    return undefined;
  }

  /**
   * Loads `@opentelemetry/api` once, lazily, when something of OpenTelemetry
   * is registered; resolves `undefined` otherwise, and when the package is not
   * installed (tracing stays off, silently: it is an optional peer). A dynamic
   * `import()`, which the CommonJS build turns into a `require()`.
   */
  load(): Promise<PicomTelemetry | undefined> {
    if (this.loading === undefined) {
      if (!otelRegistered()) {
        return Promise.resolve(undefined);
      }
      this.loading = import('@opentelemetry/api').then(
        (api: OtelApi) => (this.current = new PicomTelemetry(api)),
        () => undefined,
      );
    }
    return this.loading;
  }
}

/** Shared by every endpoint of the process, as the SDK's globals are. */
export const telemetrySource = new TelemetrySource();
