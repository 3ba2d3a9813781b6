import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import type {
  Attributes,
  Context,
  Meter,
  MeterProvider,
  Span,
  TextMapGetter,
  TextMapSetter,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api';
import { PicomNoRespondersError, PicomRemoteError, PicomSubjectError, PicomTimeoutError } from '../errors/index.js';
import { isMethodNotFound } from '../protocol/wire.rules.js';
import { isValidSubject } from '../protocol/subject.rules.js';
import {
  TELEMETRY_ATTRIBUTES as A,
  TELEMETRY_METRICS as M,
  TELEMETRY_OUTCOMES as O,
  TELEMETRY_SCOPE,
  TELEMETRY_SPAN_NAMES,
  TELEMETRY_VALUES as V,
} from './constants.js';
import type { OtelApi } from './otel.loader.js';
import { byOutcome, type ByOutcome, type RouteTelemetry, type TelemetryOutcome } from './route.telemetry.js';
import { ClientCall, ServerCall, type Instruments } from './telemetry.calls.js';

export { ClientCall, ServerCall } from './telemetry.calls.js';
export { RouteTelemetry, type TelemetryOutcome } from './route.telemetry.js';

/** Where trace headers go on the way out: the message's header block, and the bytes they add to it. */
export interface TraceCarrier {
  headers: MsgHdrs;
  bytes: number;
}

/** `\r\n`, then `: ` between name and value. */
const LINE_FRAME_BYTES = 4;
/** Shared by every call: the propagator writes straight into the NATS headers, counting their size. */
const SETTER: TextMapSetter<TraceCarrier> = {
  set(carrier, key, value) {
    carrier.headers.set(key, value);
    carrier.bytes += key.length + Buffer.byteLength(value) + LINE_FRAME_BYTES;
  },
};
const GETTER: TextMapGetter<MsgHdrs> = {
  get(headers, key) {
    // nats.js answers '' for a header that is not there.
    return headers.get(key) || undefined;
  },
  keys(headers) {
    return headers.keys();
  },
};

/** Metric attributes of a caller's subjects are cached up to this many subjects; past it they are made per call. */
const MAX_CACHED_SUBJECTS = 1000;
const CLIENT_ACTIVE: Attributes = Object.freeze({ [A.RPC_SYSTEM_NAME]: V.RPC_SYSTEM });
/** Subjects that failed as subjects (nobody serves them, invalid, unknown method) share one set. */
const FAILED_SUBJECT = byOutcome({ [A.RPC_SYSTEM_NAME]: V.RPC_SYSTEM, [A.PICOM_SERVICE]: V.OTHER, [A.RPC_METHOD]: V.OTHER });

/**
 * Picom's OpenTelemetry instrumentation over a loaded `@opentelemetry/api`:
 * the tracer, the meter's instruments and the hot-path helpers of the
 * requester and the responder. One per process.
 *
 * `live()` is the one check per call: it reads the global tracer and meter
 * providers (a few property reads) and says whether anything records. With
 * the API installed and no SDK registered it is false, and a call costs that
 * check and nothing else: no span, no header, no context.
 */
export class PicomTelemetry {
  /** The tracer of the registered SDK; `undefined` while no SDK tracer provider is registered. */
  private tracer: Tracer | undefined;
  private tracerProvider: unknown;
  private instruments: Instruments | undefined;
  private meterProvider: MeterProvider | undefined;
  private readonly noopTracerProvider: TracerProvider;
  private readonly noopMeter: Meter;
  private readonly subjects = new Map<string, ByOutcome>();
  private readonly spanKind: OtelApi['SpanKind'];
  private readonly errorStatus: number;

  constructor(private readonly api: OtelApi) {
    this.noopTracerProvider = new api.ProxyTracerProvider().getDelegate();
    this.noopMeter = api.createNoopMeter();
    this.spanKind = api.SpanKind;
    this.errorStatus = api.SpanStatusCode.ERROR;
  }

  /**
   * Whether a span or a metric would be recorded now. Providers registered
   * (or removed) later are picked up here, at the next call.
   */
  live(): boolean {
    const provider = this.api.trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
    // The global provider is the API's proxy; its delegate is the SDK's, or the no-op one.
    const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
    if (delegate !== this.tracerProvider) {
      this.bindTracer(delegate);
    }
    const meterProvider = this.api.metrics.getMeterProvider();
    if (meterProvider !== this.meterProvider) {
      this.bindMeter(meterProvider);
    }
    return this.tracer !== undefined || this.instruments !== undefined;
  }

  // ---- the calling side ----------------------------------------------------

  /** Starts a caller's span (client kind for a request, producer for a publish), child of the active context. */
  startCall(subject: string, bodySize: number, request: boolean): ClientCall {
    const tracer = this.tracer;
    let span: Span | undefined;
    if (tracer !== undefined) {
      const valid = isValidSubject(subject);
      const name = valid ? subject : V.OTHER;
      const service = valid ? subject.substring(0, subject.indexOf('.')) : V.OTHER;
      span = request
        ? tracer.startSpan(name, {
            kind: this.spanKind.CLIENT,
            attributes: {
              [A.RPC_SYSTEM_NAME]: V.RPC_SYSTEM,
              [A.RPC_METHOD]: name,
              [A.PICOM_SERVICE]: service,
              [A.MESSAGING_SYSTEM]: V.MESSAGING_SYSTEM,
              [A.MESSAGING_DESTINATION_NAME]: name,
              [A.MESSAGING_MESSAGE_BODY_SIZE]: bodySize,
            },
          })
        : tracer.startSpan(TELEMETRY_SPAN_NAMES.publish(name), {
            kind: this.spanKind.PRODUCER,
            attributes: {
              [A.MESSAGING_SYSTEM]: V.MESSAGING_SYSTEM,
              [A.MESSAGING_OPERATION_NAME]: V.OPERATION_PUBLISH,
              [A.MESSAGING_OPERATION_TYPE]: V.OPERATION_TYPE_SEND,
              [A.MESSAGING_DESTINATION_NAME]: name,
              [A.MESSAGING_MESSAGE_BODY_SIZE]: bodySize,
              [A.PICOM_SERVICE]: service,
            },
          });
    }
    const instruments = this.instruments;
    if (instruments !== undefined && request) {
      instruments.clientActive.add(1, CLIENT_ACTIVE);
    }
    return new ClientCall(this, span, instruments, subject, request, instruments === undefined ? 0 : performance.now());
  }

  /** Writes the call's trace context (W3C `traceparent`/`tracestate` with the usual propagator) into `carrier`. */
  inject(call: ClientCall, carrier: TraceCarrier): void {
    const span = call.span;
    if (span === undefined) {
      return;
    }
    const api = this.api;
    api.propagation.inject(api.trace.setSpan(api.context.active(), span), carrier, SETTER);
  }

  /** Ends a caller's call with its outcome: `err` is `null` when it succeeded. */
  endCall(call: ClientCall, err: Error | null): void {
    const span = call.span;
    if (span !== undefined) {
      if (err !== null) {
        span.setAttribute(A.ERROR_TYPE, err.name);
        span.setStatus({ code: this.errorStatus, message: err.message });
      }
      span.end();
    }
    const instruments = call.instruments;
    if (instruments === undefined) {
      return;
    }
    const outcome = outcomeOf(err);
    if (!call.request) {
      instruments.clientSent.add(1, this.subjectAttributes(call.subject, err)[outcome]);
      return;
    }
    instruments.clientActive.add(-1, CLIENT_ACTIVE);
    instruments.clientDuration.record((performance.now() - call.started) / 1000, this.subjectAttributes(call.subject, err)[outcome]);
  }

  // ---- the serving side ----------------------------------------------------

  /**
   * Starts the span of a handled message (server kind for a request,
   * consumer for a publish), child of the caller's context carried in the
   * message's headers.
   */
  startHandling(msg: Msg, route: RouteTelemetry, method: string): ServerCall {
    const tracer = this.tracer;
    const request = msg.reply !== '' && msg.reply !== undefined;
    let span: Span | undefined;
    let context: Context | undefined;
    if (tracer !== undefined) {
      const api = this.api;
      // Not the active context: a message arrives in whatever context the
      // connection's socket was opened in, which is no parent of it.
      const headers = msg.headers;
      const parent = headers === undefined ? api.ROOT_CONTEXT : api.propagation.extract(api.ROOT_CONTEXT, headers, GETTER);
      const attributes: Attributes = request
        ? {
            [A.RPC_SYSTEM_NAME]: V.RPC_SYSTEM,
            [A.RPC_METHOD]: route.name,
            [A.PICOM_SERVICE]: route.service,
            [A.MESSAGING_SYSTEM]: V.MESSAGING_SYSTEM,
            [A.MESSAGING_DESTINATION_NAME]: msg.subject,
            [A.MESSAGING_MESSAGE_BODY_SIZE]: msg.data.length,
          }
        : {
            [A.MESSAGING_SYSTEM]: V.MESSAGING_SYSTEM,
            [A.MESSAGING_OPERATION_NAME]: V.OPERATION_PROCESS,
            [A.MESSAGING_OPERATION_TYPE]: V.OPERATION_TYPE_PROCESS,
            [A.MESSAGING_DESTINATION_NAME]: msg.subject,
            [A.MESSAGING_CONSUMER_GROUP_NAME]: route.service,
            [A.MESSAGING_MESSAGE_BODY_SIZE]: msg.data.length,
            [A.PICOM_SERVICE]: route.service,
          };
      if (route.name === V.OTHER) {
        attributes[A.RPC_METHOD_ORIGINAL] = method;
      }
      span = tracer.startSpan(
        request ? route.name : TELEMETRY_SPAN_NAMES.process(route.name),
        { kind: request ? this.spanKind.SERVER : this.spanKind.CONSUMER, attributes },
        parent,
      );
      context = api.trace.setSpan(parent, span);
    }
    const instruments = this.instruments;
    if (instruments !== undefined) {
      instruments.serverActive.add(1, route.active);
    }
    return new ServerCall(this, span, context, instruments, route, request, instruments === undefined ? 0 : performance.now());
  }

  /**
   * Runs a handler inside the call's context, so that the calls it makes
   * continue the trace (across its awaits too, with an AsyncLocalStorage
   * context manager registered, as the SDK's Node setup does).
   */
  run<A extends unknown[], R>(context: Context, handler: (...args: A) => R, ...args: A): R {
    return this.api.context.with(context, handler, undefined, ...args);
  }

  /**
   * Ends a handled message: `failure` is the error text sent (or logged for a
   * publish), `undefined` when it succeeded; `errorType` its `error.type`.
   */
  endHandling(call: ServerCall, failure: string | undefined, errorType: string | undefined, outcome: TelemetryOutcome): void {
    const span = call.span;
    if (span !== undefined) {
      if (failure !== undefined) {
        span.setAttribute(A.ERROR_TYPE, errorType ?? V.OTHER);
        span.setStatus({ code: this.errorStatus, message: failure });
      }
      span.end();
    }
    const instruments = call.instruments;
    if (instruments === undefined) {
      return;
    }
    instruments.serverActive.add(-1, call.route.active);
    const seconds = (performance.now() - call.started) / 1000;
    if (call.request) {
      instruments.serverDuration.record(seconds, call.route.requests[outcome]);
    } else {
      instruments.processDuration.record(seconds, call.route.publishes[outcome]);
    }
  }

  // ---- providers -------------------------------------------------------------

  private bindTracer(provider: TracerProvider): void {
    this.tracerProvider = provider;
    // By identity, or by name for a second copy of the API in the process (a bundle).
    const noop = provider === this.noopTracerProvider || provider.constructor?.name === 'NoopTracerProvider';
    this.tracer = noop ? undefined : provider.getTracer(TELEMETRY_SCOPE);
  }

  private bindMeter(provider: MeterProvider): void {
    this.meterProvider = provider;
    const meter = provider.getMeter(TELEMETRY_SCOPE);
    const noop = meter === this.noopMeter || meter.constructor?.name === 'NoopMeter';
    this.instruments = noop ? undefined : createInstruments(meter);
  }

  /** The metric attributes of a caller's subject; failed subjects share one set. */
  private subjectAttributes(subject: string, err: Error | null): ByOutcome {
    if (err !== null && failedSubject(err)) {
      return FAILED_SUBJECT;
    }
    let attributes = this.subjects.get(subject);
    if (attributes === undefined) {
      const service = subject.substring(0, subject.indexOf('.'));
      attributes = byOutcome({ [A.RPC_SYSTEM_NAME]: V.RPC_SYSTEM, [A.PICOM_SERVICE]: service, [A.RPC_METHOD]: subject });
      if (this.subjects.size < MAX_CACHED_SUBJECTS) {
        this.subjects.set(subject, attributes);
      }
    }
    return attributes;
  }
}

function createInstruments(meter: Meter): Instruments {
  const duration = { unit: M.DURATION_UNIT, advice: { explicitBucketBoundaries: [...M.DURATION_BUCKETS] } };
  return {
    clientDuration: meter.createHistogram(M.CLIENT_DURATION, { ...duration, description: M.descriptions.clientDuration }),
    serverDuration: meter.createHistogram(M.SERVER_DURATION, { ...duration, description: M.descriptions.serverDuration }),
    processDuration: meter.createHistogram(M.PROCESS_DURATION, { ...duration, description: M.descriptions.processDuration }),
    clientSent: meter.createCounter(M.CLIENT_SENT, { unit: M.MESSAGE_UNIT, description: M.descriptions.clientSent }),
    clientActive: meter.createUpDownCounter(M.CLIENT_ACTIVE, { unit: M.CALL_UNIT, description: M.descriptions.clientActive }),
    serverActive: meter.createUpDownCounter(M.SERVER_ACTIVE, { unit: M.CALL_UNIT, description: M.descriptions.serverActive }),
  };
}

/** A caller's outcome. */
export function outcomeOf(err: Error | null): TelemetryOutcome {
  if (err === null) return O.OK;
  if (err instanceof PicomRemoteError) return O.ERROR;
  if (err instanceof PicomTimeoutError) return O.TIMEOUT;
  if (err instanceof PicomNoRespondersError) return O.NO_RESPONDERS;
  return O.FAILED;
}

/** The subject itself failed: nobody serves it, it is no subject, or its service knows no such method. */
function failedSubject(err: Error): boolean {
  return (
    err instanceof PicomNoRespondersError ||
    err instanceof PicomSubjectError ||
    (err instanceof PicomRemoteError && isMethodNotFound(err.message))
  );
}
