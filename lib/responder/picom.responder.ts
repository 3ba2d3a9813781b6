import type { Msg, Subscription } from '@nats-io/transport-node';
import {
  DEADLINE_TICK_MS,
  DROP_LOG_INTERVAL_MS,
  LOG_MESSAGES,
  MAX_REPLY_SUBJECT_BYTES,
  MESSAGES,
  WIRE_MESSAGES,
} from '../constants.js';
import type { PicomConnection } from '../connection/picom.connection.js';
import { DeadlineMap } from '../deadlines/deadline-map.js';
import { PicomPermissionError } from '../errors/index.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import { toBytes } from '../protocol/bytes.js';
import { headerOverflow, type HeaderLimits } from '../protocol/header-guard.js';
import {
  BAD_REQUEST,
  decodeRequest,
  encodeError,
  encodeFailure,
  encodeSuccess,
} from '../protocol/envelope.codec.js';
import { DropCounter } from './drop-counter.js';
import { describeError } from '../errors/describe-value.js';
import { isPromiseLike } from './handler-result.js';
import { MessageQueue } from './message-queue.js';

/**
 * Runs one method. `message` is the decoded body (`null` for an empty one);
 * the raw NATS message gives the subject, headers and reply subject.
 */
export type RouteHandler = (message: unknown, msg: Msg, method: string) => unknown;

/** `maxHeaderBytes` and `maxHeaderCount` bound what a message may carry before the responder reads it. */
export interface PicomResponderOptions extends HeaderLimits {
  readonly service: string;
  readonly maxConcurrency: number;
  readonly maxQueued: number;
  /** Server-side deadline of one handler in ms; 0 means none. */
  readonly handlerTimeout: number;
  readonly logger: PicomLogger;
  /** Finds the handler of a method, or `undefined` for `Method not found`. */
  readonly route: (method: string) => RouteHandler | undefined;
  /** Turns a handler failure into an error envelope (the Nest layer maps its exception filters here). */
  readonly encodeError?: (err: unknown) => string;
  /**
   * Turns what a handler returned (or resolved with) into the reply's value,
   * or a promise of it: the Nest layer takes an Observable's last value here,
   * so its results need no promise of their own.
   */
  readonly unwrap?: (result: unknown) => unknown;
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
  private readonly running = new DeadlineMap<Msg, RunningCall>();
  /** Runs while `running` has entries and a handler timeout is set: an idle service never wakes up for it. */
  private sweeper: NodeJS.Timeout | undefined;
  private readonly sweepNow = (): void => this.sweep();
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

  constructor(
    private readonly connection: PicomConnection,
    private readonly options: PicomResponderOptions,
  ) {
    this.prefixLength = options.service.length + 1;
    this.encodeError = options.encodeError ?? encodeError;
    const { service, logger, maxQueued } = options;
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
      throw new PicomPermissionError(MESSAGES.permissionDenied('subscribe', subject, service), 'subscribe', subject, service, { cause });
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
    this.stopSweeper();
    const calls = this.running.clear();
    if (calls.length === 0) {
      return;
    }
    const { service, logger } = this.options;
    const body = encodeFailure(MESSAGES.gracePeriodOver(service, gracePeriod));
    let answered = 0;
    for (const call of calls) {
      call.abandoned = true;
      this.inFlight--;
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
      this.reply(msg, encodeFailure(MESSAGES.busy(this.options.service)));
    } else {
      this.queueFull.add(undefined);
    }
  }

  /** A header block over the limits: the handler never runs; a request learns why at once. */
  private refuseHeaders(msg: Msg, overflow: string): void {
    this.headerRefusals.add(overflow);
    if (msg.reply) {
      this.reply(msg, encodeFailure(MESSAGES.headersRefused(msg.subject, overflow)));
    } else {
      this.otherDroppedPublishes++;
    }
  }

  private dispatch(msg: Msg): void {
    this.inFlight++;
    const method = msg.subject.substring(this.prefixLength);
    const handler = this.options.route(method);
    if (handler === undefined) {
      this.reply(msg, encodeFailure(WIRE_MESSAGES.methodNotFound(method)));
      this.done();
      return;
    }
    const message = decodeRequest(msg.data);
    if (message === BAD_REQUEST) {
      this.reply(msg, encodeFailure(WIRE_MESSAGES.BAD_JSON_REQUEST));
      this.done();
      return;
    }
    let result: unknown;
    try {
      result = handler(message, msg, method);
    } catch (err) {
      this.fail(msg, err);
      this.done();
      return;
    }
    this.settle(msg, result, this.options.unwrap, undefined);
  }

  /**
   * Replies with `result` once it is a value; `unwrap` (once) turns a handler's
   * result into one. `call` is the handler's entry in `running` once its result
   * turned out to be asynchronous.
   */
  private settle(msg: Msg, result: unknown, unwrap: ((result: unknown) => unknown) | undefined, call: RunningCall | undefined): void {
    if (call?.abandoned) {
      // Its caller got an error already and its slot went to another message.
      return;
    }
    if (isPromiseLike(result)) {
      const running = call ?? this.track(msg);
      // Promise.resolve returns a native promise as is, and tames any other
      // thenable: one outcome, and a throwing `then` becomes a rejection.
      Promise.resolve(result).then(
        (value) => this.settle(msg, value, unwrap, running),
        (err: unknown) => this.settleFailure(msg, err, running),
      );
      return;
    }
    if (unwrap !== undefined) {
      let value: unknown;
      try {
        value = unwrap(result);
      } catch (err) {
        this.settleFailure(msg, err, call);
        return;
      }
      this.settle(msg, value, undefined, call);
      return;
    }
    this.untrack(msg, call);
    this.succeed(msg, result);
    this.done();
  }

  private settleFailure(msg: Msg, err: unknown, call: RunningCall | undefined): void {
    if (call?.abandoned) {
      return;
    }
    this.untrack(msg, call);
    this.fail(msg, err);
    this.done();
  }

  /** Enters an asynchronous handler in `running`, and arms the sweeper when it has a deadline. */
  private track(msg: Msg): RunningCall {
    const timeout = this.options.handlerTimeout;
    const call: RunningCall = { msg, timeout, deadline: timeout > 0 ? performance.now() + timeout : Infinity, abandoned: false };
    this.running.add(msg, call);
    if (timeout > 0 && this.sweeper === undefined) {
      // unref: a handler in flight never keeps a process alive on its own.
      this.sweeper = setInterval(this.sweepNow, DEADLINE_TICK_MS).unref();
    }
    return call;
  }

  private untrack(msg: Msg, call: RunningCall | undefined): void {
    if (call !== undefined) {
      this.running.delete(msg, call);
    }
  }

  private sweep(): void {
    this.running.expire(performance.now(), (msg, call) => this.timedOut(msg, call));
    if (this.running.size === 0) {
      // Started again by the next asynchronous handler; its deadline is at least a tick away.
      this.stopSweeper();
    }
  }

  private stopSweeper(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** The handler overran its deadline: its caller is told now, its slot freed, its result dropped. */
  private timedOut(msg: Msg, call: RunningCall): void {
    call.abandoned = true;
    const text = MESSAGES.handlerTimedOut(msg.subject, call.timeout);
    if (msg.reply) {
      this.reply(msg, encodeFailure(text));
    } else {
      this.options.logger.warn(LOG_MESSAGES.publishTimedOut(text));
    }
    this.done();
  }

  private succeed(msg: Msg, value: unknown): void {
    if (!msg.reply) {
      return;
    }
    let body: string;
    try {
      body = encodeSuccess(value);
    } catch (err) {
      body = encodeFailure(MESSAGES.unserializable('the reply', (err as Error).message));
    }
    // Encoded once, here: the size check and the publish share the bytes.
    let data = toBytes(body);
    const limit = this.connection.maxPayload;
    if (data.length > limit) {
      data = toBytes(encodeFailure(MESSAGES.replyTooLarge(data.length, limit)));
    }
    this.publishReply(msg, data);
  }

  private fail(msg: Msg, err: unknown): void {
    if (!msg.reply) {
      // A publish has nobody to tell; the log is the only witness.
      this.options.logger.warn(LOG_MESSAGES.publishFailed(msg.subject, describeError(err)));
      return;
    }
    let body: string;
    try {
      body = this.encodeError(err);
    } catch (encodeErr) {
      body = encodeFailure(MESSAGES.unserializable('the error', String(encodeErr)));
    }
    this.reply(msg, body);
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
      this.options.logger.error(LOG_MESSAGES.replyFailed(msg.subject, describeError(err)));
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
