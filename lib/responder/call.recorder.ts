import type { Msg } from '@nats-io/transport-node';
import type { PicomRoute } from '../routes/picom-route.js';
import { TELEMETRY_ERROR_TYPES, TELEMETRY_OUTCOMES } from '../tracing/constants.js';
import { telemetrySource } from '../tracing/otel.loader.js';
import { RouteTelemetry, type TelemetryOutcome } from '../tracing/route.telemetry.js';
import type { ServerCall } from '../tracing/telemetry.calls.js';

/**
 * Records how each handled message ended, in the method's stats (for
 * discovery) and in its span and metrics (when an OpenTelemetry SDK records),
 * with one call per outcome. Nothing recording costs a flag read per message.
 */
export class CallRecorder {
  /** Counts requests and handler time per method for discovery; off, `started()` is 0 and stats are left alone. */
  measuring = false;
  /** Span names and metric attributes per method, made on its first traced message. */
  private readonly telemetry = new WeakMap<PicomRoute, RouteTelemetry>();
  /** What every unknown method records: one span name and one attribute set for all of them. */
  private unknownTelemetry: RouteTelemetry | undefined;

  constructor(
    private readonly service: string,
    /** The `tracing` option. */
    private readonly tracing: boolean,
  ) {}

  /** When a handler starts, for its stats; 0 while not measuring. */
  started(): number {
    return this.measuring ? performance.now() : 0;
  }

  /** Starts the span of a message when something records; `undefined` (one check) otherwise. */
  trace(msg: Msg, route: PicomRoute | undefined, method: string): ServerCall | undefined {
    if (!this.tracing) {
      return undefined;
    }
    const telemetry = telemetrySource.get();
    return telemetry !== undefined && telemetry.live() ? telemetry.startHandling(msg, this.routeTelemetry(route, method), method) : undefined;
  }

  /** The handler's reply went out (or its publish was handled). */
  succeeded(route: PicomRoute, started: number, trace: ServerCall | undefined): void {
    if (this.measuring) {
      route.stats.record(performance.now() - started);
    }
    trace?.end(undefined, undefined, TELEMETRY_OUTCOMES.OK);
  }

  /**
   * The message ended with `text` sent (or logged) as its error. `route` is
   * `undefined` for a method nobody serves, which has no stats of its own.
   */
  failed(
    route: PicomRoute | undefined,
    started: number,
    trace: ServerCall | undefined,
    text: string,
    errorType: string,
    outcome: TelemetryOutcome = TELEMETRY_OUTCOMES.ERROR,
  ): void {
    if (this.measuring && route !== undefined) {
      route.stats.fail(performance.now() - started, text);
    }
    trace?.end(text, errorType, outcome);
  }

  /** `error.type` of a handler's failure: its error class, or `_OTHER` for a thrown non-Error. */
  static errorType(err: unknown): string {
    return err instanceof Error ? err.name : TELEMETRY_ERROR_TYPES.OTHER;
  }

  private routeTelemetry(route: PicomRoute | undefined, method: string): RouteTelemetry {
    if (route === undefined) {
      return (this.unknownTelemetry ??= new RouteTelemetry(this.service, undefined));
    }
    let telemetry = this.telemetry.get(route);
    if (telemetry === undefined) {
      telemetry = new RouteTelemetry(this.service, method);
      this.telemetry.set(route, telemetry);
    }
    return telemetry;
  }
}
