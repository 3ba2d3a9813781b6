import type { Msg, Subscription } from '@nats-io/transport-node';
import {
  DISCOVERY_MESSAGES,
  DROP_LOG_INTERVAL_MS,
  LOG_MESSAGES,
  MAX_REPLY_SUBJECT_BYTES,
  MESSAGES,
  TELEMETRY_ERROR_TYPES,
  TELEMETRY_OUTCOMES,
  WIRE_MESSAGES,
} from '../constants.js';
import { CONNECTION_MESSAGES } from '../connection/constants.js';
import type { PicomConnection } from '../connection/picom.connection.js';
import { DeadlineMap } from '../deadlines/deadline-map.js';
import { PicomPermissionError } from '../errors/index.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import { toBytes } from '../protocol/bytes.js';
import { PROTOCOL_MESSAGES } from '../protocol/constants.js';
import { headerOverflow, type HeaderLimits } from '../protocol/header-guard.js';
import {
  BAD_REQUEST,
  decodeRequest,
  encodeError,
  encodeFailure,
  encodeSuccess,
} from '../protocol/envelope.codec.js';
import type { EndpointStats } from '../discovery/endpoint-stats.js';
import { envelopeErrorText } from '../discovery/endpoint-stats.js';
import type { RefusalCounts } from '../discovery/micro.builder.js';
import { DropCounter } from './drop-counter.js';
import { describeError } from '../errors/describe-value.js';
import { isPromiseLike } from './handler-result.js';
import { MessageQueue } from './message-queue.js';
import { telemetrySource } from '../tracing/otel.loader.js';
import { RouteTelemetry, type PicomTelemetry, type ServerCall, type TelemetryOutcome } from '../tracing/picom.telemetry.js';

/**
 * Runs one method. `message` is the decoded body (`null` for an empty one);
 * the raw NATS message gives the subject, headers and reply subject.
 */
export type RouteHandler = (message: unknown, msg: Msg, method: string) => unknown;

/**
 * One method of a service: its handler and its counters, in one entry so that
 * the one `Map.get` of a request finds both.
 */
export interface PicomRoute {
  readonly handler: RouteHandler;
  readonly stats: EndpointStats;
  /** Its span name and metric attributes, made on its first traced message. */
  telemetry?: RouteTelemetry;
}

/** `maxHeaderBytes` and `maxHeaderCount` bound what a message may carry before the responder reads it. */
export interface PicomResponderOptions extends HeaderLimits {
  readonly service: string;
  readonly maxConcurrency: number;
  readonly maxQueued: number;
  /** Server-side deadline of one handler in ms; 0 means none. */
  readonly handlerTimeout: number;
  readonly logger: PicomLogger;
  /** The methods served, by name; a method not in it is answered `Method not found`. Read on every request. */
  readonly routes: ReadonlyMap<string, PicomRoute>;
  /** Turns a handler failure into an error envelope (the Nest layer maps its exception filters here). */
  readonly encodeError?: (err: unknown) => string;
  /**
   * Turns what a handler returned (or resolved with) into the reply's value,
   * or a promise of it: the Nest layer takes an Observable's last value here,
   * so its results need no promise of their own.
   */
  readonly unwrap?: (result: unknown) => unknown;
  /** The `tracing` option: spans and metrics once an OpenTelemetry SDK is registered. */
  readonly tracing?: boolean;
}

/**
 * A reply subject of at most this many UTF-16 units is within
 * `MAX_REPLY_SUBJECT_BYTES` (a unit is at most 3 UTF-8 bytes): only longer
 * ones are measured.
 */
const SHORT_REPLY_SUBJECT = Math.floor(MAX_REPLY_SUBJECT_BYTES / 3);

/**
 * A handler whose result has not settled yet. Synchronous handlers never get
 * one: they are done before anything could time them out.
 */
interface RunningCall {
  readonly msg: Msg;
  readonly route: PicomRoute;
  /** `performance.now()` when the handler started; 0 when not measuring. */
  readonly started: number;
  /** Its span and metrics while traced. */
  readonly trace: ServerCall | undefined;
  /** The handler timeout, 0 for none; `deadline` is then `Infinity`. */
  readonly timeout: number;
  readonly deadline: number;
  /**
   * Set once the caller was answered without the result (its deadline or the
   * grace period passed) and the slot freed: the result, if it ever comes, is dropped.
   */
  abandoned: boolean;
}

/**
 * The serving side of Picom: one `S.>` subscription in queue group `S`, routed
 * by the method token, exactly one reply per request, and a bounded number of
 * handlers at once. A handler that overruns `handlerTimeout` is answered with
 * an error and its slot freed. `close()` stops deliveries and lets in-flight
 * work finish, up to the grace period.
 *
 * What a peer sends is bounded before it costs anything: a header block over
 * the limits is refused unparsed, and no reply goes to a subject long enough to
 * get this connection closed by the server. Every message dropped is counted
 * and logged, rate-limited.
 */
export class PicomResponder {
  private subscription: Subscription | undefined;
  private readonly prefixLength: number;
  private readonly queue = new MessageQueue<Msg>();
  private readonly encodeError: (err: unknown) => string;
  /** Handlers with a result still to come, oldest first: for their deadline and for the end of the grace period. */
  private readonly running = new DeadlineMap<Msg, RunningCall>((msg, call) => this.timedOut(msg, call));
  private inFlight = 0;
  private pumping = false;
  private onIdle: (() => void) | undefined;
  /** Publishes dropped because `maxQueued` messages were waiting already. */
  private readonly queueFull: DropCounter<undefined>;
  /** Requests and publishes refused for their header block; the text says what was over. */
  private readonly headerRefusals: DropCounter<string>;
  /** Replies not sent for their subject's length, in bytes. */
  private readonly replyRefusals: DropCounter<number>;
  /** Publishes among `headerRefusals`, and those still queued when `close()` gave up. */
  private otherDroppedPublishes = 0;
  /** Requests and publishes for a method nobody serves. */
  private unknownMethods = 0;
  /** Requests answered at once with an overload error. */
  private overloaded = 0;
  /** The text of the latest refusal before a handler (for `$SRV.STATS`). */
  private lastRefusal = '';
  /** What every unknown method records: one span name and one attribute set for all of them. */
  private unknownTelemetry: RouteTelemetry | undefined;
  private readonly publishDroppedText: string;
  /**
   * Counts requests and handler time per method (`EndpointStats`) for
   * discovery. Off, the hot path reads this flag and nothing more.
   */
  measuring = false;

  constructor(
    private readonly connection: PicomConnection,
    private readonly options: PicomResponderOptions,
  ) {
    this.prefixLength = options.service.length + 1;
    this.encodeError = options.encodeError ?? encodeError;
    const { service, logger, maxQueued } = options;
    this.publishDroppedText = DISCOVERY_MESSAGES.publishDropped(service);
    this.queueFull = new DropCounter(DROP_LOG_INTERVAL_MS, (count, total) =>
      logger.warn(LOG_MESSAGES.publishesDropped(count, service, maxQueued, total)),
    );
    this.headerRefusals = new DropCounter(DROP_LOG_INTERVAL_MS, (count, total, latest) =>
      logger.warn(LOG_MESSAGES.headersRefused(count, service, latest, total)),
    );
    this.replyRefusals = new DropCounter(DROP_LOG_INTERVAL_MS, (count, total, bytes) =>
      logger.warn(LOG_MESSAGES.replySubjectTooLong(count, service, bytes, MAX_REPLY_SUBJECT_BYTES, total)),
    );
    void connection.closed.then(() => this.dropQueue());
  }

  /**
   * Publishes never handled: past `maxQueued`, refused for their headers, or
   * still queued at the end of the grace period. For the service's stats.
   */
  get droppedPublishes(): number {
    return this.queueFull.total + this.otherDroppedPublishes;
  }

  /** Requests (answered with an error) and publishes (dropped) refused unparsed for their header block. */
  get refusedHeaders(): number {
    return this.headerRefusals.total;
  }

  /** Replies not sent because their subject was longer than `MAX_REPLY_SUBJECT_BYTES`. */
  get droppedReplies(): number {
    return this.replyRefusals.total;
  }

  /** What never reached a handler, for the `_refused` entry of `$SRV.STATS`. */
  get refusals(): RefusalCounts {
    return {
      unknownMethod: this.unknownMethods,
      headersRefused: this.headerRefusals.total,
      overloaded: this.overloaded,
      publishesDropped: this.queueFull.total,
      repliesDropped: this.replyRefusals.total,
      lastError: this.lastRefusal,
    };
  }

  /** Handlers running or waiting. */
  get busy(): number {
    return this.inFlight + this.queue.length;
  }

  /** Subscribes and waits until the server has the subscription. */
  async start(): Promise<void> {
    const { service } = this.options;
    const subject = `${service}.>`;
    const subscription = this.connection.nc.subscribe(subject, {
      queue: service,
      callback: (err, msg) => this.onMessage(err, msg),
    });
    this.subscription = subscription;
    // A round trip: after it, requests to the service reach this instance.
    await this.connection.nc.flush();
    if (subscription.isClosed()) {
      // The server refused the subscription (its -ERR comes before the PONG): nothing would ever arrive.
      const cause = await subscription.closed;
      throw new PicomPermissionError(CONNECTION_MESSAGES.permissionDenied('subscribe', subject, service), 'subscribe', subject, service, { cause });
    }
  }

  /**
   * Stops new deliveries, waits up to `gracePeriod` ms for in-flight handlers to
   * reply, then answers what is still queued or running with an error instead
   * of dropping it.
   */
  async close(gracePeriod: number): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    if (subscription && !subscription.isClosed() && !this.connection.isClosed) {
      // UNSUB + round trip: every message the server sent before it is delivered.
      await subscription.drain().catch(() => undefined);
    }
    await this.idle(gracePeriod);
    // The queue first: abandoning a running handler must not start a queued one.
    let publishes = 0;
    for (const msg of this.queue.drainAll()) {
      if (msg.reply) {
        this.reply(msg, encodeFailure(MESSAGES.shuttingDown(this.options.service)));
      } else {
        publishes++;
      }
    }
    if (publishes > 0) {
      this.otherDroppedPublishes += publishes;
      this.options.logger.warn(LOG_MESSAGES.queuedPublishesDropped(publishes, this.options.service));
    }
    this.abandonRunning(gracePeriod);
    // Lines still due are written now rather than by timers that may never fire.
    this.queueFull.flush();
    this.headerRefusals.flush();
    this.replyRefusals.flush();
  }

  /** Answers every handler still running at the end of the grace period, with one log line for all. */
  private abandonRunning(gracePeriod: number): void {
    const calls = this.running.clear();
    if (calls.length === 0) {
      return;
    }
    const { service, logger } = this.options;
    const text = MESSAGES.gracePeriodOver(service, gracePeriod);
    const body = encodeFailure(text);
    const now = this.measuring ? performance.now() : 0;
    let answered = 0;
    for (const call of calls) {
      call.abandoned = true;
      this.inFlight--;
      if (this.measuring) {
        call.route.stats.fail(now - call.started, text);
      }
      this.traceEnd(call.trace, text, TELEMETRY_ERROR_TYPES.SHUTDOWN, TELEMETRY_OUTCOMES.ERROR);
      if (call.msg.reply) {
        this.reply(call.msg, body);
        answered++;
      }
    }
    const publishes = calls.length - answered;
    logger.warn(LOG_MESSAGES.gracePeriodEnded(gracePeriod, service, calls.length, answered, publishes));
  }

  /**
   * Once the connection is closed for good (reconnects ran out) nothing queued
   * can be answered: drop it with one log line rather than run each handler
   * and fail each reply.
   */
  private dropQueue(): void {
    const dropped = this.queue.drainAll().length;
    if (dropped > 0) {
      this.options.logger.error(LOG_MESSAGES.queueDropped(dropped, this.options.service));
    }
  }

  private idle(gracePeriod: number): Promise<void> {
    if (this.busy === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, gracePeriod);
      this.onIdle = done;
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.onIdle = undefined;
        resolve();
      }
    });
  }

  private onMessage(err: Error | null, msg: Msg): void {
    if (err) {
      this.options.logger.error(LOG_MESSAGES.subscriptionFailed(this.options.service, describeError(err)));
      return;
    }
    // Before anything reads the headers (nats.js parses them in quadratic time
    // on first read); a message without headers costs a property read.
    const overflow = headerOverflow(msg, this.options);
    if (overflow !== undefined) {
      this.refuseHeaders(msg, overflow);
      return;
    }
    if (this.inFlight < this.options.maxConcurrency) {
      this.dispatch(msg);
    } else if (this.queue.length < this.options.maxQueued) {
      this.queue.push(msg);
    } else if (msg.reply) {
      const text = MESSAGES.busy(this.options.service);
      this.overloaded++;
      this.lastRefusal = text;
      this.reply(msg, encodeFailure(text));
    } else {
      this.lastRefusal = this.publishDroppedText;
      this.queueFull.add(undefined);
    }
  }

  /** A header block over the limits: the handler never runs; a request learns why at once. */
  private refuseHeaders(msg: Msg, overflow: string): void {
    if (msg.reply) {
      const text = MESSAGES.headersRefused(msg.subject, overflow);
      this.lastRefusal = text;
      this.headerRefusals.add(overflow);
      this.reply(msg, encodeFailure(text));
    } else {
      this.lastRefusal = DISCOVERY_MESSAGES.publishHeadersRefused(msg.subject, overflow);
      this.headerRefusals.add(overflow);
      this.otherDroppedPublishes++;
    }
  }

  private dispatch(msg: Msg): void {
    this.inFlight++;
    const method = msg.subject.substring(this.prefixLength);
    const route = this.options.routes.get(method);
    const telemetry = this.options.tracing === true ? telemetrySource.get() : undefined;
    // One check when nothing records; span, context and metrics only when something does.
    const trace = telemetry !== undefined && telemetry.live() ? telemetry.startHandling(msg, this.routeTelemetry(route, method), method) : undefined;
    if (route === undefined) {
      const text = WIRE_MESSAGES.methodNotFound(method);
      this.unknownMethods++;
      this.lastRefusal = text;
      this.reply(msg, encodeFailure(text));
      this.traceEnd(trace, text, TELEMETRY_ERROR_TYPES.UNKNOWN_METHOD, TELEMETRY_OUTCOMES.ERROR);
      this.done();
      return;
    }
    const message = decodeRequest(msg.data);
    if (message === BAD_REQUEST) {
      if (this.measuring) {
        route.stats.fail(0, WIRE_MESSAGES.BAD_JSON_REQUEST);
      }
      this.reply(msg, encodeFailure(WIRE_MESSAGES.BAD_JSON_REQUEST));
      this.traceEnd(trace, WIRE_MESSAGES.BAD_JSON_REQUEST, TELEMETRY_ERROR_TYPES.BAD_REQUEST, TELEMETRY_OUTCOMES.ERROR);
      this.done();
      return;
    }
    const started = this.measuring ? performance.now() : 0;
    let result: unknown;
    try {
      // Inside the caller's context: the calls the handler makes continue its trace.
      result = trace?.context === undefined
        ? route.handler(message, msg, method)
        : (telemetry as PicomTelemetry).run(trace.context, route.handler, message, msg, method);
    } catch (err) {
      this.failed(msg, err, route, started, trace);
      this.done();
      return;
    }
    this.settle(msg, result, this.options.unwrap, undefined, route, started, trace);
  }

  /** The span name and metric attributes of `route`, or the one set shared by every unknown method. */
  private routeTelemetry(route: PicomRoute | undefined, method: string): RouteTelemetry {
    if (route === undefined) {
      return (this.unknownTelemetry ??= new RouteTelemetry(this.options.service, undefined));
    }
    return (route.telemetry ??= new RouteTelemetry(this.options.service, method));
  }

  /** Ends a traced message's span and records its metrics; nothing when it is not traced. */
  private traceEnd(trace: ServerCall | undefined, failure: string | undefined, errorType: string | undefined, outcome: TelemetryOutcome): void {
    if (trace !== undefined) {
      (telemetrySource.current as PicomTelemetry).endHandling(trace, failure, errorType, outcome);
    }
  }

  /**
   * Replies with `result` once it is a value; `unwrap` (once) turns a handler's
   * result into one. `call` is the handler's entry in `running` once its result
   * turned out to be asynchronous. `route` and `started` are for the stats.
   */
  private settle(
    msg: Msg,
    result: unknown,
    unwrap: ((result: unknown) => unknown) | undefined,
    call: RunningCall | undefined,
    route: PicomRoute,
    started: number,
    trace: ServerCall | undefined,
  ): void {
    if (call?.abandoned) {
      // Its caller got an error already and its slot went to another message.
      return;
    }
    if (isPromiseLike(result)) {
      const running = call ?? this.track(msg, route, started, trace);
      // Promise.resolve returns a native promise as is, and tames any other
      // thenable: one outcome, and a throwing `then` becomes a rejection.
      Promise.resolve(result).then(
        (value) => this.settle(msg, value, unwrap, running, running.route, running.started, running.trace),
        (err: unknown) => this.settleFailure(msg, err, running),
      );
      return;
    }
    if (unwrap !== undefined) {
      let value: unknown;
      try {
        value = unwrap(result);
      } catch (err) {
        if (call === undefined) {
          this.failed(msg, err, route, started, trace);
          this.done();
        } else {
          this.settleFailure(msg, err, call);
        }
        return;
      }
      this.settle(msg, value, undefined, call, route, started, trace);
      return;
    }
    this.untrack(msg, call);
    const failure = this.succeed(msg, result);
    if (this.measuring) {
      const ms = performance.now() - started;
      if (failure === undefined) {
        route.stats.record(ms);
      } else {
        route.stats.fail(ms, failure);
      }
    }
    if (failure === undefined) {
      this.traceEnd(trace, undefined, undefined, TELEMETRY_OUTCOMES.OK);
    } else {
      this.traceEnd(trace, failure, TELEMETRY_ERROR_TYPES.REPLY_NOT_SENT, TELEMETRY_OUTCOMES.ERROR);
    }
    this.done();
  }

  private settleFailure(msg: Msg, err: unknown, call: RunningCall): void {
    if (call.abandoned) {
      return;
    }
    this.untrack(msg, call);
    this.failed(msg, err, call.route, call.started, call.trace);
    this.done();
  }

  /** A handler failed: its caller is answered (or the failure logged) and the method's stats told. */
  private failed(msg: Msg, err: unknown, route: PicomRoute, started: number, trace: ServerCall | undefined): void {
    const sent = this.fail(msg, err);
    if (this.measuring || trace !== undefined) {
      const text = msg.reply ? envelopeErrorText(sent) : sent;
      if (this.measuring) {
        route.stats.fail(performance.now() - started, text);
      }
      this.traceEnd(trace, text, err instanceof Error ? err.name : TELEMETRY_ERROR_TYPES.OTHER, TELEMETRY_OUTCOMES.ERROR);
    }
  }

  /** Enters an asynchronous handler in `running`, whose timer enforces its deadline when it has one. */
  private track(msg: Msg, route: PicomRoute, started: number, trace: ServerCall | undefined): RunningCall {
    const timeout = this.options.handlerTimeout;
    const call: RunningCall = { msg, route, started, trace, timeout, deadline: timeout > 0 ? performance.now() + timeout : Infinity, abandoned: false };
    this.running.add(msg, call);
    return call;
  }

  private untrack(msg: Msg, call: RunningCall | undefined): void {
    if (call !== undefined) {
      this.running.delete(msg, call);
    }
  }

  /** The handler overran its deadline: its caller is told now, its slot freed, its result dropped. */
  private timedOut(msg: Msg, call: RunningCall): void {
    call.abandoned = true;
    const text = MESSAGES.handlerTimedOut(msg.subject, call.timeout);
    if (this.measuring) {
      call.route.stats.fail(performance.now() - call.started, text);
    }
    this.traceEnd(call.trace, text, TELEMETRY_ERROR_TYPES.HANDLER_TIMEOUT, TELEMETRY_OUTCOMES.TIMEOUT);
    if (msg.reply) {
      this.reply(msg, encodeFailure(text));
    } else {
      this.options.logger.warn(LOG_MESSAGES.publishTimedOut(text));
    }
    this.done();
  }

  /** Replies with `value`; returns the error text sent instead when it cannot be sent, `undefined` otherwise. */
  private succeed(msg: Msg, value: unknown): string | undefined {
    if (!msg.reply) {
      return undefined;
    }
    let data: Uint8Array;
    let failure: string | undefined;
    try {
      // Encoded once, here: the size check and the publish share the bytes.
      data = encodeSuccess(value);
    } catch (err) {
      failure = PROTOCOL_MESSAGES.unserializable('the reply', (err as Error).message);
      data = toBytes(encodeFailure(failure));
    }
    const limit = this.connection.maxPayload;
    if (data.length > limit) {
      failure = MESSAGES.replyTooLarge(data.length, limit);
      data = toBytes(encodeFailure(failure));
    }
    this.publishReply(msg, data);
    return failure;
  }

  /** Answers a handler failure, or logs it for a publish; returns the body sent, or the text logged. */
  private fail(msg: Msg, err: unknown): string {
    if (!msg.reply) {
      // A publish has nobody to tell; the log is the only witness.
      const text = describeError(err);
      this.options.logger.warn(LOG_MESSAGES.publishFailed(msg.subject, text));
      return text;
    }
    let body: string;
    try {
      body = this.encodeError(err);
    } catch (encodeErr) {
      body = encodeFailure(PROTOCOL_MESSAGES.unserializable('the error', String(encodeErr)));
    }
    this.reply(msg, body);
    return body;
  }

  private reply(msg: Msg, body: string): void {
    this.publishReply(msg, toBytes(body));
  }

  private publishReply(msg: Msg, data: Uint8Array): void {
    const reply = msg.reply;
    if (!reply) {
      return;
    }
    if (reply.length > SHORT_REPLY_SUBJECT) {
      const bytes = Buffer.byteLength(reply);
      if (bytes > MAX_REPLY_SUBJECT_BYTES) {
        // Sent, it could get this connection closed, and every caller with it.
        this.replyRefusals.add(bytes);
        return;
      }
    }
    try {
      this.connection.nc.publish(reply, data);
    } catch (err) {
      this.options.logger.error(PROTOCOL_MESSAGES.replyFailed(msg.subject, describeError(err)));
    }
  }

  private done(): void {
    this.inFlight--;
    // A loop, not recursion: a backlog of synchronous handlers must not grow the stack.
    if (this.pumping) {
      return;
    }
    this.pumping = true;
    while (this.queue.length > 0 && this.inFlight < this.options.maxConcurrency) {
      this.dispatch(this.queue.shift() as Msg);
    }
    this.pumping = false;
    if (this.onIdle !== undefined && this.busy === 0) {
      this.onIdle();
    }
  }
}
