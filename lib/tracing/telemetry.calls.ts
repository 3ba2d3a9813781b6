import type { Context, Counter, Histogram, Span, UpDownCounter } from '@opentelemetry/api';
import type { PicomTelemetry, TraceCarrier } from './picom.telemetry.js';
import type { RouteTelemetry, TelemetryOutcome } from './route.telemetry.js';

/** The instruments of one meter. */
export interface Instruments {
  readonly clientDuration: Histogram;
  readonly serverDuration: Histogram;
  readonly processDuration: Histogram;
  readonly clientSent: Counter;
  readonly clientActive: UpDownCounter;
  readonly serverActive: UpDownCounter;
}

/**
 * A caller's call (request or publish) while its outcome is not known. It
 * keeps the telemetry that started it, so that whoever holds the call can end
 * it without going back to the process-wide source.
 */
export class ClientCall {
  constructor(
    private readonly telemetry: PicomTelemetry,
    readonly span: Span | undefined,
    /** The instruments it counts in, `undefined` when no meter was live at its start. */
    readonly instruments: Instruments | undefined,
    readonly subject: string,
    readonly request: boolean,
    readonly started: number,
  ) {}

  /** Writes this call's trace context into `carrier`. */
  inject(carrier: TraceCarrier): void {
    this.telemetry.inject(this, carrier);
  }

  /** Ends the call: `err` is `null` when it succeeded. */
  end(err: Error | null): void {
    this.telemetry.endCall(this, err);
  }
}

/** A handled message (request or publish) while its outcome is not known. */
export class ServerCall {
  constructor(
    private readonly telemetry: PicomTelemetry,
    readonly span: Span | undefined,
    /** The context the handler runs in: the caller's, with `span` active; `undefined` without a span. */
    readonly context: Context | undefined,
    readonly instruments: Instruments | undefined,
    readonly route: RouteTelemetry,
    readonly request: boolean,
    readonly started: number,
  ) {}

  /** Runs `handler` inside this call's context (as is when it has none). */
  run<A extends unknown[], R>(handler: (...args: A) => R, ...args: A): R {
    const context = this.context;
    return context === undefined ? handler(...args) : this.telemetry.run(context, handler, ...args);
  }

  /** Ends the message: `failure` is the error text sent or logged, `undefined` when it succeeded. */
  end(failure: string | undefined, errorType: string | undefined, outcome: TelemetryOutcome): void {
    this.telemetry.endHandling(this, failure, errorType, outcome);
  }
}
