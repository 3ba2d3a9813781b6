import { createInbox, errors, headers as natsHeaders, type Msg, type MsgHdrs, type Subscription } from '@nats-io/transport-node';
import { describeError } from '../errors/describe-value.js';
import { closedConnectionError, type PicomConnection } from '../connection/picom.connection.js';
import {
  PicomBadResponseError,
  PicomConnectionError,
  PicomConnectionErrorCode,
  PicomNoRespondersError,
  PicomPayloadTooLargeError,
  PicomPermissionError,
  PicomSendError,
  PicomSubjectError,
  PicomTimeoutError,
} from '../errors/index.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import { toBytes } from '../protocol/bytes.js';
import { decodeReply } from '../protocol/envelope.codec.js';
import { NO_RESPONDERS_STATUS } from '../protocol/constants.js';
import { headerOverflow, type HeaderLimits } from '../protocol/header-guard.js';
import { isValidSubject } from '../protocol/subject.rules.js';
import { telemetrySource } from '../tracing/otel.loader.js';
import type { ClientCall, PicomTelemetry, TraceCarrier } from '../tracing/picom.telemetry.js';
import { BLOCK_FRAME_BYTES, encodeHeaders, type PicomHeaders } from './headers.encoder.js';
import { PendingCalls } from './pending-calls.js';
import { REQUESTER_LOG_MESSAGES, REQUESTER_MESSAGES } from './constants.js';
import { nextReplyToken } from './reply-token.pool.js';

export type { PicomHeaders } from './headers.encoder.js';

/**
 * Receives exactly one outcome per call. An object rather than a callback, so
 * that a caller can make the one object it keeps per call (the Nest client's
 * subscription) the target too, instead of a closure per call.
 */
export interface ReplyTarget {
  settle(err: Error | null, payload?: unknown): void;
}

/** One call in flight. Settled through `target`, or through `resolve`/`reject` for `call()`. */
interface PendingCall {
  readonly subject: string;
  readonly timeout: number;
  readonly deadline: number;
  readonly target: ReplyTarget | undefined;
  readonly resolve: ((payload: unknown) => void) | undefined;
  readonly reject: ((err: Error) => void) | undefined;
  /** Its span and metrics while traced; `undefined` when nothing records. */
  readonly trace: ClientCall | undefined;
}

/**
 * The calling side of Picom. All replies arrive on one wildcard inbox
 * subscription and are matched to calls through a map by a random token;
 * one timer, asleep until the earliest deadline, enforces them all. Nothing
 * per call but the token, the map entry and the publish.
 */
export class PicomRequester {
  private readonly pending = new PendingCalls<PendingCall>((_token, call) => {
    this.deliver(call, new PicomTimeoutError(call.subject, call.timeout), undefined);
  });
  private readonly inbox: string;
  private readonly inboxLength: number;
  private readonly subscription: Subscription;
  private unmatched = 0;
  private closedWith: Error | undefined;
  private readonly publishOptions: { reply: string; headers: MsgHdrs | undefined } = { reply: '', headers: undefined };
  /**
   * The resolvers of the promise `call()` just made. One executor for every
   * call rather than a closure over its arguments: the executor runs at once,
   * inside `new Promise`, so they are read back right after.
   */
  private readonly captured: { resolve: (payload: unknown) => void; reject: (err: Error) => void } = { resolve: noop, reject: noop };
  private readonly capture = (resolve: (payload: unknown) => void, reject: (err: Error) => void): void => {
    this.captured.resolve = resolve;
    this.captured.reject = reject;
  };
  /** Where the trace headers of the message being sent go; one for every message, as `publishOptions`. */
  private readonly carrier: TraceCarrier = { headers: undefined as unknown as MsgHdrs, bytes: 0 };

  constructor(
    private readonly connection: PicomConnection,
    private readonly logger: PicomLogger,
    inboxPrefix: string | undefined,
    /** Bounds on a reply's header block, checked before anything reads it. */
    private readonly headerLimits: HeaderLimits,
    /** The `tracing` option: spans and metrics once an OpenTelemetry SDK is registered. */
    private readonly tracing = false,
  ) {
    this.inbox = `${createInbox(inboxPrefix)}.`;
    this.inboxLength = this.inbox.length;
    this.subscription = connection.nc.subscribe(`${this.inbox}*`, {
      callback: (err, msg) => this.onReply(err, msg),
    });
    void connection.closed.then((reason) =>
      this.close(reason ?? PicomConnectionError.closed()),
    );
    // A refused publish would otherwise wait for its timeout; only a violation costs a scan.
    connection.onPermissionError((err) => {
      if (err.operation === 'publish') {
        this.failSubject(err.subject, err);
      }
    });
  }

  /** Calls in flight. */
  /** The process's telemetry when `tracing` is on and an SDK is registered; read once per call. */
  private get telemetry(): PicomTelemetry | undefined {
    return this.tracing ? telemetrySource.get() : undefined;
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Replies that matched no pending call and were dropped: late (after their
   * timeout), for a cancelled call, or forged by a peer guessing tokens.
   */
  get unmatchedReplies(): number {
    return this.unmatched;
  }

  /**
   * Sends a request; `target` gets the payload or an error exactly once.
   * Returns a token for `cancel()`, or `undefined` when the call failed before
   * anything was sent (the target has then already been settled).
   */
  request(subject: string, body: string, timeout: number, target: ReplyTarget, headers?: PicomHeaders): string | undefined {
    return this.start(subject, body, timeout, target, undefined, undefined, headers);
  }

  /**
   * `request()` as a promise of the payload. The promise's own resolvers settle
   * the call: nothing per call between the reply and the caller.
   */
  call(subject: string, body: string, timeout: number, headers?: PicomHeaders): Promise<unknown> {
    const promise = new Promise(this.capture);
    const { captured } = this;
    const { resolve, reject } = captured;
    // Not kept past this call: they would hold its promise, and its payload, until the next one.
    captured.resolve = captured.reject = noop;
    this.start(subject, body, timeout, undefined, resolve, reject, headers);
    return promise;
  }

  private start(
    subject: string,
    body: string,
    timeout: number,
    target: ReplyTarget | undefined,
    resolve: ((payload: unknown) => void) | undefined,
    reject: ((err: Error) => void) | undefined,
    headers: PicomHeaders | undefined,
  ): string | undefined {
    const data = toBytes(body);
    const telemetry = this.telemetry;
    // One check when nothing records; a span and header injection only when something does.
    const trace = telemetry !== undefined && telemetry.live() ? telemetry.startCall(subject, data.length, true) : undefined;
    // Everything that can refuse the call is checked before it is pending.
    const refused = this.refuse(subject, data, headers, trace);
    if (refused) {
      if (trace !== undefined) {
        trace.end(refused);
      }
      if (target) {
        target.settle(refused);
      } else {
        (reject as (err: Error) => void)(refused);
      }
      return undefined;
    }
    const token = nextReplyToken();
    const call: PendingCall = { subject, timeout, deadline: performance.now() + timeout, target, resolve, reject, trace };
    this.pending.add(token, call);
    const options = this.publishOptions;
    options.reply = this.inbox + token;
    try {
      this.connection.nc.publish(subject, data, options);
    } catch (err) {
      this.settle(token, call, publishError(err, subject), undefined);
      return undefined;
    }
    return token;
  }

  /** Fire and forget: a publish with no reply subject. */
  publish(subject: string, body: string, headers?: PicomHeaders): void {
    const data = toBytes(body);
    const telemetry = this.telemetry;
    const trace = telemetry !== undefined && telemetry.live() ? telemetry.startCall(subject, data.length, false) : undefined;
    let err = this.refuse(subject, data, headers, trace);
    if (err === undefined) {
      const options = this.publishOptions;
      options.reply = '';
      try {
        this.connection.nc.publish(subject, data, options);
      } catch (publishErr) {
        err = publishError(publishErr, subject);
      }
    }
    // A publish ends when it is handed to nats.js: nothing comes back.
    if (trace !== undefined) {
      trace.end(err ?? null);
    }
    if (err !== undefined) {
      throw err;
    }
  }

  /** Forgets a call (its caller unsubscribed); a late reply is dropped. */
  cancel(token: string): void {
    const call = this.pending.get(token);
    if (call) {
      this.pending.delete(token, call);
      if (call.trace !== undefined) {
        // Its caller left: the span ends now, as the call does for it.
        call.trace.end(null);
      }
    }
  }

  /** Fails every pending call with `err` and stops; later calls fail at once with it. */
  close(err: Error): void {
    if (this.closedWith) {
      return;
    }
    this.closedWith = err;
    if (!this.subscription.isClosed()) {
      this.subscription.unsubscribe();
    }
    for (const call of this.pending.clear()) {
      this.deliver(call, err, undefined);
    }
  }

  /** Fails every pending call to `subject` with `err`. */
  private failSubject(subject: string, err: Error): void {
    for (const [token, call] of this.pending.entries()) {
      if (call.subject === subject) {
        this.settle(token, call, err, undefined);
      }
    }
  }

  /**
   * Why a message cannot be sent, or `undefined`. On the way, puts the encoded
   * `headers` on the shared publish options (one object for every message:
   * nats.js reads it during `publish()` and keeps nothing), with the trace
   * context of a traced call added, as their size counts against max_payload.
   */
  private refuse(subject: string, data: Uint8Array, headers: PicomHeaders | undefined, trace: ClientCall | undefined): Error | undefined {
    if (this.closedWith) {
      return this.closedWith;
    }
    if (!isValidSubject(subject)) {
      return new PicomSubjectError(String(subject));
    }
    if (this.connection.isDown) {
      // nats.js would discard it when it dials again: fail now, not at the timeout.
      return new PicomConnectionError(REQUESTER_MESSAGES.disconnected(subject), PicomConnectionErrorCode.DISCONNECTED);
    }
    let headerBytes = 0;
    const options = this.publishOptions;
    options.headers = undefined;
    if (headers != null) {
      try {
        const encoded = encodeHeaders(headers, subject);
        options.headers = encoded.headers;
        headerBytes = encoded.bytes;
      } catch (err) {
        return err as Error;
      }
    }
    if (trace?.span !== undefined) {
      headerBytes += this.injectTrace(trace, options);
    }
    const limit = this.connection.maxPayload;
    if (data.length + headerBytes > limit) {
      return new PicomPayloadTooLargeError(subject, data.length + headerBytes, limit, headerBytes);
    }
    return undefined;
  }

  /**
   * Adds the trace context to the message's header block (the caller's, or a
   * new one), and returns the bytes it adds to the message.
   */
  private injectTrace(trace: ClientCall, options: { headers: MsgHdrs | undefined }): number {
    const carrier = this.carrier;
    const fresh = options.headers === undefined;
    carrier.headers = fresh ? natsHeaders() : (options.headers as MsgHdrs);
    carrier.bytes = 0;
    trace.inject(carrier);
    if (carrier.bytes === 0) {
      // No propagator registered: nothing to send.
      return 0;
    }
    options.headers = carrier.headers;
    return fresh ? carrier.bytes + BLOCK_FRAME_BYTES : carrier.bytes;
  }

  private onReply(err: Error | null, msg: Msg): void {
    if (err) {
      if (err instanceof errors.PermissionViolationError) {
        // nats.js closes the subscription: no reply can arrive on this connection again.
        const subject = `${this.inbox}*`;
        this.close(new PicomPermissionError(REQUESTER_MESSAGES.inboxDenied(subject), 'subscribe', subject, undefined, { cause: err }));
      } else {
        this.logger.error(REQUESTER_LOG_MESSAGES.inboxFailed(err.message));
      }
      return;
    }
    const token = msg.subject.substring(this.inboxLength);
    const call = this.pending.get(token);
    if (call === undefined) {
      // Late (after its timeout), for a cancelled call, or forged: nobody waits for it.
      this.unmatched++;
      return;
    }
    // Before anything reads `msg.headers`: nats.js parses them in quadratic time.
    const overflow = headerOverflow(msg, this.headerLimits);
    if (overflow !== undefined) {
      const reason = REQUESTER_MESSAGES.replyHeadersOverLimit(overflow);
      this.settle(token, call, new PicomBadResponseError(call.subject, { reason }), undefined);
      return;
    }
    if (msg.data.length === 0 && msg.headers?.code === NO_RESPONDERS_STATUS) {
      this.settle(token, call, new PicomNoRespondersError(call.subject), undefined);
      return;
    }
    let payload: unknown;
    try {
      payload = decodeReply(msg.data, call.subject);
    } catch (decodeErr) {
      this.settle(token, call, decodeErr as Error, undefined);
      return;
    }
    this.settle(token, call, null, payload);
  }

  private settle(token: string, call: PendingCall, err: Error | null, payload: unknown): void {
    this.pending.delete(token, call);
    this.deliver(call, err, payload);
  }

  private deliver(call: PendingCall, err: Error | null, payload: unknown): void {
    if (call.trace !== undefined) {
      call.trace.end(err);
    }
    if (call.target === undefined) {
      // A promise's resolvers never throw.
      if (err) {
        (call.reject as (err: Error) => void)(err);
      } else {
        (call.resolve as (payload: unknown) => void)(payload);
      }
      return;
    }
    try {
      call.target.settle(err, payload);
    } catch (callbackErr) {
      // A throwing consumer must not break the inbox for every other call.
      this.logger.error(REQUESTER_LOG_MESSAGES.replyCallbackThrew(call.subject, describeError(callbackErr)));
    }
  }
}

/**
 * What a throw from `nc.publish()` becomes: everything a caller sees is a
 * `PicomError`, with the nats.js error as its cause. Subject, headers and size
 * are checked before publishing, so only what nats.js knows better is left
 * (a connection closing under the call, a server with a smaller max_payload).
 */
function publishError(err: unknown, subject: string): Error {
  return closedConnectionError(err) ?? new PicomSendError(subject, { cause: err });
}

function noop(): void {}
