import type { Msg, Subscription } from '@nats-io/transport-node';
import { WIRE_MESSAGES } from '../constants.js';
import { CONNECTION_MESSAGES } from '../connection/constants.js';
import type { PicomConnection } from '../connection/picom.connection.js';
import { describeError } from '../errors/describe-value.js';
import { PicomPermissionError } from '../errors/index.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import { BAD_REQUEST, decodeRequest, encodeError, type ErrorEnvelope } from '../protocol/envelope.codec.js';
import { headerOverflow, type HeaderLimits } from '../protocol/header-guard.js';
import type { PicomRoute } from '../routes/picom-route.js';
import { TELEMETRY_ERROR_TYPES, TELEMETRY_OUTCOMES } from '../tracing/constants.js';
import type { ServerCall } from '../tracing/telemetry.calls.js';
import { CallRecorder } from './call.recorder.js';
import { RESPONDER_LOG_MESSAGES, RESPONDER_MESSAGES } from './constants.js';
import { isObservableLike, isPromiseLike, lastValue } from './handler-result.js';
import { MessageQueue } from './message-queue.js';
import { RefusalLedger } from './refusal.ledger.js';
import { ReplyWriter } from './reply.writer.js';
import { RunningCalls, type RunningCall } from './running-calls.js';

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
  readonly encodeError?: (err: unknown) => ErrorEnvelope;
  /** Handlers may return Observables, whose last value is the reply (the Nest layer's do). */
  readonly observables?: boolean;
  /** The `tracing` option: spans and metrics once an OpenTelemetry SDK is registered. */
  readonly tracing?: boolean;
}

/**
 * The serving side of Picom: one `S.>` subscription in queue group `S`, routed
 * by the method token, exactly one reply per request, and a bounded number of
 * handlers at once. `close()` stops deliveries and lets in-flight work finish,
 * up to the grace period.
 *
 * This class admits, queues and dispatches; beside it, `RefusalLedger` counts
 * what is refused or dropped, `CallRecorder` records each outcome (stats and
 * span), `ReplyWriter` writes every answer and `RunningCalls` holds the
 * deadlines of handlers still running. A header block over the limits is
 * refused unparsed, before it costs anything.
 */
export class PicomResponder {
  readonly ledger: RefusalLedger;
  readonly recorder: CallRecorder;
  private readonly writer: ReplyWriter;
  private readonly running: RunningCalls;
  private readonly queue = new MessageQueue<Msg>();
  private readonly prefixLength: number;
  private subscription: Subscription | undefined;
  private inFlight = 0;
  private pumping = false;
  private onIdle: (() => void) | undefined;

  constructor(
    private readonly connection: PicomConnection,
    private readonly options: PicomResponderOptions,
  ) {
    const { service, logger } = options;
    this.prefixLength = service.length + 1;
    this.ledger = new RefusalLedger(service, options.maxQueued, logger);
    this.recorder = new CallRecorder(service, options.tracing === true);
    this.writer = new ReplyWriter(connection, this.ledger, logger, options.encodeError ?? encodeError);
    this.running = new RunningCalls(options.handlerTimeout, (call) => this.timedOut(call));
    void connection.closed.then(() => this.dropQueue());
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
        this.writer.failure(msg, RESPONDER_MESSAGES.shuttingDown(this.options.service));
      } else {
        publishes++;
      }
    }
    if (publishes > 0) {
      this.ledger.queuedPublishesDropped(publishes);
    }
    this.abandonRunning(gracePeriod);
    this.ledger.flush();
  }

  /** Answers every handler still running at the end of the grace period, with one log line for all. */
  private abandonRunning(gracePeriod: number): void {
    const calls = this.running.abandonAll();
    if (calls.length === 0) {
      return;
    }
    const { service, logger } = this.options;
    const text = RESPONDER_MESSAGES.gracePeriodOver(service, gracePeriod);
    let answered = 0;
    for (const call of calls) {
      this.inFlight--;
      this.recorder.failed(call.route, call.started, call.trace, text, TELEMETRY_ERROR_TYPES.SHUTDOWN);
      if (call.msg.reply) {
        this.writer.failure(call.msg, text);
        answered++;
      }
    }
    logger.warn(RESPONDER_LOG_MESSAGES.gracePeriodEnded(gracePeriod, service, calls.length, answered, calls.length - answered));
  }

  /**
   * Once the connection is closed for good (reconnects ran out) nothing queued
   * can be answered: drop it with one log line rather than run each handler
   * and fail each reply.
   */
  private dropQueue(): void {
    const dropped = this.queue.drainAll().length;
    if (dropped > 0) {
      this.options.logger.error(RESPONDER_LOG_MESSAGES.queueDropped(dropped, this.options.service));
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

  /** Admission: refused, run now, queued, or turned away when the queue is full too. */
  private onMessage(err: Error | null, msg: Msg): void {
    if (err) {
      this.options.logger.error(RESPONDER_LOG_MESSAGES.subscriptionFailed(this.options.service, describeError(err)));
      return;
    }
    // Before anything reads the headers (nats.js parses them in quadratic time
    // on first read); a message without headers costs a property read.
    const overflow = headerOverflow(msg, this.options);
    if (overflow !== undefined) {
      const text = this.ledger.headersRefused(msg.subject, overflow, !!msg.reply);
      this.writer.failure(msg, text);
    } else if (this.inFlight < this.options.maxConcurrency) {
      this.dispatch(msg);
    } else if (this.queue.length < this.options.maxQueued) {
      this.queue.push(msg);
    } else if (msg.reply) {
      this.writer.failure(msg, this.ledger.overloaded());
    } else {
      this.ledger.queueOverflow();
    }
  }

  private dispatch(msg: Msg): void {
    this.inFlight++;
    const method = msg.subject.substring(this.prefixLength);
    const route = this.options.routes.get(method);
    const recorder = this.recorder;
    const trace = recorder.trace(msg, route, method);
    if (route === undefined) {
      const text = this.ledger.unknownMethod(WIRE_MESSAGES.methodNotFound(method));
      this.writer.failure(msg, text);
      recorder.failed(undefined, 0, trace, text, TELEMETRY_ERROR_TYPES.UNKNOWN_METHOD);
      this.done();
      return;
    }
    const message = decodeRequest(msg.data);
    if (message === BAD_REQUEST) {
      this.writer.failure(msg, WIRE_MESSAGES.BAD_JSON_REQUEST);
      recorder.failed(route, recorder.started(), trace, WIRE_MESSAGES.BAD_JSON_REQUEST, TELEMETRY_ERROR_TYPES.BAD_REQUEST);
      this.done();
      return;
    }
    const started = recorder.started();
    let result: unknown;
    try {
      // Inside the caller's context: the calls the handler makes continue its trace.
      result = trace === undefined ? route.handler(message, msg, method) : trace.run(route.handler, message, msg, method);
    } catch (err) {
      this.failed(msg, route, started, trace, err);
      return;
    }
    let unwrapped = false;
    if (this.options.observables === true && isObservableLike(result)) {
      result = lastValue(result);
      unwrapped = true;
    }
    if (!isPromiseLike(result)) {
      this.succeeded(msg, route, started, trace, result);
      return;
    }
    const call = this.running.start(msg, route, started, trace, unwrapped);
    // Promise.resolve returns a native promise as is, and tames any other
    // thenable: one outcome, and a throwing `then` becomes a rejection.
    Promise.resolve(result).then(
      (value) => this.resolved(call, value),
      (err: unknown) => this.rejected(call, err),
    );
  }

  private resolved(call: RunningCall, value: unknown): void {
    if (call.abandoned) {
      return;
    }
    if (!call.unwrapped && this.options.observables === true && isObservableLike(value)) {
      // An async handler that resolved with an Observable: its last value is the reply.
      lastValue(value).then(
        (last) => this.resolvedLast(call, last),
        (err: unknown) => this.rejected(call, err),
      );
      return;
    }
    this.resolvedLast(call, value);
  }

  private resolvedLast(call: RunningCall, value: unknown): void {
    if (this.running.finish(call)) {
      this.succeeded(call.msg, call.route, call.started, call.trace, value);
    }
  }

  private rejected(call: RunningCall, err: unknown): void {
    if (this.running.finish(call)) {
      this.failed(call.msg, call.route, call.started, call.trace, err);
    }
  }

  private succeeded(msg: Msg, route: PicomRoute, started: number, trace: ServerCall | undefined, value: unknown): void {
    const failure = this.writer.success(msg, value);
    if (failure === undefined) {
      this.recorder.succeeded(route, started, trace);
    } else {
      this.recorder.failed(route, started, trace, failure, TELEMETRY_ERROR_TYPES.REPLY_NOT_SENT);
    }
    this.done();
  }

  private failed(msg: Msg, route: PicomRoute, started: number, trace: ServerCall | undefined, err: unknown): void {
    const text = this.writer.error(msg, err);
    this.recorder.failed(route, started, trace, text, CallRecorder.errorType(err));
    this.done();
  }

  /** The handler overran its deadline: its caller is told now, its slot freed, its result dropped. */
  private timedOut(call: RunningCall): void {
    const msg = call.msg;
    const text = RESPONDER_MESSAGES.handlerTimedOut(msg.subject, call.timeout);
    this.recorder.failed(call.route, call.started, call.trace, text, TELEMETRY_ERROR_TYPES.HANDLER_TIMEOUT, TELEMETRY_OUTCOMES.TIMEOUT);
    if (msg.reply) {
      this.writer.failure(msg, text);
    } else {
      this.options.logger.warn(RESPONDER_LOG_MESSAGES.publishTimedOut(text));
    }
    this.done();
  }

  /** Frees a slot and runs what waits for one. */
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
