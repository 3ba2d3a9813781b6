import { nuid, type NatsConnection } from '@nats-io/transport-node';
import { CONNECTION_MESSAGES } from '../connection/constants.js';
import { PicomConnection } from '../connection/picom.connection.js';
import { PicomEvents } from '../connection/picom.events.js';
import { PicomEvent, PicomStatus, type PicomEventsMap } from '../connection/picom-status.js';
import { DiscoveryResponder } from '../discovery/discovery.responder.js';
import { isMicroName } from '../discovery/micro.builder.js';
import { PicomConnectionError, PicomConnectionErrorCode, PicomTimeoutError } from '../errors/index.js';
import type { ResolvedPicomOptions } from '../options/picom-options.resolver.js';
import { SILENT_LOGGER } from '../options/silent.logger.js';
import { PicomRequester, type PicomHeaders } from '../requester/picom.requester.js';
import { PicomResponder } from '../responder/picom.responder.js';
import { telemetrySource } from '../tracing/otel.loader.js';
import { AWAITING_CONNECT, ENDPOINT_MESSAGES } from './constants.js';
import type { CallTarget, PicomEndpointSettings, PicomServeSettings } from './picom-endpoint.interfaces.js';

/**
 * The one lifecycle of every Picom endpoint: connect once (concurrent callers
 * share the attempt, a failed attempt is not kept), `close()` that wins over a
 * connect in progress, status and events, `unwrap()`, and what happens when
 * reconnects run out. Every call goes through it (`call()`, `request()`,
 * `publish()`): no face reaches the requester. The public classes are thin
 * faces over it.
 */
export class PicomEndpoint {
  readonly events: PicomEvents;
  private connecting: Promise<PicomConnection> | undefined;
  private connection: PicomConnection | undefined;
  private closing: Promise<void> | undefined;
  /** The requester of the open connection; `undefined` until connected (read on every call). */
  private requester: PicomRequester | undefined;
  private responder: PicomResponder | undefined;
  /** Answers `$SRV.PING|INFO|STATS` while serving, when the `discovery` option is on. */
  private discovery: DiscoveryResponder | undefined;
  private serving: Promise<PicomConnection> | undefined;
  /** The service served, once `serve()` was called. */
  private service: string | undefined;
  /** Closed by `close()` and not connected since. */
  private ended = false;
  /** Counts `close()`s: a connect that started before the last one must not keep its connection. */
  private generation = 0;

  constructor(
    readonly options: ResolvedPicomOptions,
    private readonly settings: PicomEndpointSettings,
  ) {
    this.events = new PicomEvents(options.logger);
  }

  /** `closed` once closed or once reconnects ran out; `disconnected` before the first connect. */
  get status(): PicomStatus {
    if (this.closing || this.ended) {
      return PicomStatus.CLOSED;
    }
    return this.connection?.status ?? PicomStatus.DISCONNECTED;
  }

  on<E extends keyof PicomEventsMap>(event: E, listener: PicomEventsMap[E]): void {
    this.events.on(event, listener);
  }

  /**
   * The open connection, or the one being opened. A connection that closed
   * because reconnects ran out is kept on a serving endpoint (its calls fail
   * with the reason) and dialled anew on one that only calls.
   */
  connect(): Promise<PicomConnection> {
    if (this.closing) {
      return Promise.reject(PicomConnectionError.closed());
    }
    if (this.connecting) {
      return this.connecting;
    }
    const attempt = this.open(this.generation);
    this.connecting = attempt;
    attempt.catch(() => {
      if (this.connecting === attempt) {
        this.connecting = undefined;
      }
    });
    return attempt;
  }

  /**
   * Calls `subject` and resolves with the reply's payload. A call made before
   * the connection is open waits for it within its own `timeout`.
   */
  call(subject: string, body: string, timeout: number, headers?: PicomHeaders): Promise<unknown> {
    const requester = this.requester;
    if (requester !== undefined) {
      return requester.call(subject, body, timeout, headers);
    }
    return new Promise((resolve, reject) => {
      this.whenConnected(subject, timeout, (connected, left) => resolve(connected.call(subject, body, left, headers)), reject);
    });
  }

  /**
   * Calls `subject`; `target` gets the payload or an error exactly once, and
   * `cancel(target)` forgets the call. A call made before the connection is
   * open waits for it within its own `timeout`.
   */
  request(subject: string, body: string, timeout: number, target: CallTarget, headers?: PicomHeaders): void {
    const requester = this.requester;
    if (requester !== undefined) {
      target.token = requester.request(subject, body, timeout, target, headers);
      return;
    }
    target.token = AWAITING_CONNECT;
    this.whenConnected(
      subject,
      timeout,
      (connected, left) => {
        // Cancelled while connecting: never sent.
        if (target.token === AWAITING_CONNECT) {
          target.token = connected.request(subject, body, left, target, headers);
        }
      },
      (err) => {
        if (target.token === AWAITING_CONNECT) {
          target.token = undefined;
          target.settle(err);
        }
      },
    );
  }

  /** Forgets the call `target` was given to: a late reply is dropped, a call still waiting to connect is never sent. */
  cancel(target: CallTarget): void {
    const token = target.token;
    target.token = undefined;
    if (token !== undefined && token !== AWAITING_CONNECT) {
      this.requester?.cancel(token);
    }
  }

  /**
   * Sends to `subject` with no reply subject.
   * @throws {PicomConnectionError} when the connection is not open (connect first)
   */
  publish(subject: string, body: string, headers?: PicomHeaders): void {
    this.calling().publish(subject, body, headers);
  }

  /**
   * Serves `settings.service` on the open connection. Concurrent callers share
   * one start, so every one of them sees a refused subscription; a refused
   * start is forgotten, so a later call may try again.
   */
  serve(settings: PicomServeSettings): Promise<PicomConnection> {
    this.serving ??= this.startServing(settings);
    return this.serving;
  }

  /**
   * Stops serving (in-flight handlers get `gracePeriod` to reply), fails
   * pending calls, closes the connection. Wins over a connect in progress: that
   * connection is closed as soon as it opens, and its `connect()` rejects.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown().finally(() => {
      if (this.settings.reopens) {
        this.closing = undefined;
      }
    });
    return this.closing;
  }

  /** The nats.js connection; throws `message` before the first connect. */
  unwrap<T = NatsConnection>(message: string): T {
    if (!this.connection) {
      throw new PicomConnectionError(message, PicomConnectionErrorCode.NOT_CONNECTED);
    }
    return this.connection.nc as T;
  }

  /**
   * Connects within the call's own `timeout` (a first connect that takes longer
   * goes on for the next call), then hands `send` the requester and what is
   * left of the timeout: the connect took part of the call's time. Only calls
   * made before the connection is open come here, so the timer is off the hot path.
   */
  private whenConnected(
    subject: string,
    timeout: number,
    send: (requester: PicomRequester, left: number) => void,
    fail: (err: Error) => void,
  ): void {
    const started = performance.now();
    let waiting = true;
    const timer = setTimeout(() => {
      waiting = false;
      const cause = new PicomConnectionError(ENDPOINT_MESSAGES.connectPending(subject, timeout), PicomConnectionErrorCode.NOT_CONNECTED);
      fail(new PicomTimeoutError(subject, timeout, { cause }));
    }, timeout);
    this.connect().then(
      () => {
        if (!waiting) return;
        waiting = false;
        clearTimeout(timer);
        let requester: PicomRequester;
        try {
          requester = this.calling();
        } catch (err) {
          fail(err as Error);
          return;
        }
        send(requester, Math.max(1, timeout - (performance.now() - started)));
      },
      (err: unknown) => {
        if (!waiting) return;
        waiting = false;
        clearTimeout(timer);
        fail(err as Error);
      },
    );
  }

  /** The requester of the open connection, made on first use; a `PicomConnectionError` when there is none. */
  private calling(): PicomRequester {
    if (this.requester !== undefined) {
      return this.requester;
    }
    const connection = this.connection;
    if (connection === undefined) {
      throw PicomConnectionError.closed();
    }
    if (connection.isClosed) {
      throw new PicomConnectionError(CONNECTION_MESSAGES.connectionLost, PicomConnectionErrorCode.CONNECTION_LOST);
    }
    this.requester = new PicomRequester(connection, this.options.logger, this.options.connection.inboxPrefix, this.options, this.options.tracing);
    return this.requester;
  }

  private async open(generation: number): Promise<PicomConnection> {
    // With an SDK registered, the API loads (once per process) while the
    // connection is made: the first calls and handlers find it ready.
    const [connection] = await Promise.all([
      PicomConnection.open(this.options, this.events),
      this.options.tracing ? telemetrySource.load() : undefined,
    ]);
    if (generation !== this.generation) {
      // close() came while this connection was being made: it must not live on.
      await connection.close();
      throw PicomConnectionError.closed();
    }
    this.connection = connection;
    this.ended = false;
    if (this.settings.calls) {
      this.calling();
    }
    void connection.closed.then((reason) => this.onClosed(connection, reason));
    this.events.emit(PicomEvent.STATUS, PicomStatus.CONNECTED);
    this.settings.onOpen?.(connection);
    return connection;
  }

  private async startServing(settings: PicomServeSettings): Promise<PicomConnection> {
    const generation = this.generation;
    try {
      const connection = await this.connect();
      if (generation !== this.generation) {
        // close() came first (from a status listener, say): serve nothing.
        throw PicomConnectionError.closed();
      }
      const { maxConcurrency, maxQueued, handlerTimeout, maxHeaderBytes, maxHeaderCount, logger } = this.options;
      const tracing = this.options.tracing;
      const responder = new PicomResponder(connection, { ...settings, maxConcurrency, maxQueued, handlerTimeout, maxHeaderBytes, maxHeaderCount, logger, tracing });
      const discovery = this.discoveryFor(connection, responder, settings);
      // Counted from the first request, before discovery answers its first STATS.
      responder.recorder.measuring = discovery !== undefined;
      this.responder = responder;
      this.discovery = discovery;
      this.service = settings.service;
      await responder.start();
      if (generation !== this.generation) {
        throw PicomConnectionError.closed();
      }
      // After the service's subscription: an instance is listed once it serves.
      if (discovery !== undefined && !(await discovery.start())) {
        responder.recorder.measuring = false;
        if (this.discovery === discovery) {
          this.discovery = undefined;
        }
      }
      if (generation !== this.generation) {
        throw PicomConnectionError.closed();
      }
      return connection;
    } catch (err) {
      this.responder = undefined;
      this.discovery?.stop();
      this.discovery = undefined;
      this.serving = undefined;
      throw err;
    }
  }

  /**
   * The discovery of this start, or `undefined` when the option is off or the
   * service name is one the micro protocol cannot list (said once, in the log).
   * Each start is a new instance: a new id and `started`, counters from zero
   * (the faces build their route entries anew).
   */
  private discoveryFor(connection: PicomConnection, responder: PicomResponder, settings: PicomServeSettings): DiscoveryResponder | undefined {
    const { discovery, version, description, metadata, logger } = this.options;
    if (!discovery) {
      return undefined;
    }
    if (!isMicroName(settings.service)) {
      logger.warn(ENDPOINT_MESSAGES.nameNotListed(settings.service));
      return undefined;
    }
    const identity = { name: settings.service, id: nuid.next(), version, description, metadata };
    return new DiscoveryResponder(connection, identity, { routes: settings.routes, refusals: () => responder.ledger.counts() }, logger);
  }

  private async shutdown(): Promise<void> {
    // A connect still under way is not waited for (against a wedged broker it
    // could take connectTimeout): it sees the new generation when it ends,
    // closes its own connection and rejects.
    this.generation++;
    const connection = this.connection;
    const responder = this.responder;
    const requester = this.requester;
    const discovery = this.discovery;
    this.forget();
    this.ended = true;
    // First: an instance that is leaving is no longer listed (the responder's drain flushes the UNSUBs).
    discovery?.stop();
    if (!connection) {
      return;
    }
    await responder?.close(this.options.gracePeriod);
    requester?.close(PicomConnectionError.closed());
    await connection.close();
  }

  /** The connection closed for good: by `close()` (no reason) or because reconnects ran out. */
  private onClosed(connection: PicomConnection, reason: PicomConnectionError | undefined): void {
    if (reason !== undefined && this.connection === connection) {
      if (this.responder !== undefined && this.service !== undefined) {
        // A serving process that gives up must not look like one that finished:
        // a supervisor restarts what exits non-zero. Set, not exit(): other work
        // (an HTTP server, say) may still run and report it through its health.
        const message = ENDPOINT_MESSAGES.lostServing(describeReason(reason), this.service);
        this.options.logger.error(message);
        if (this.options.logger === SILENT_LOGGER) {
          // Nobody gave a logger, yet the process is about to fail: say why on stderr.
          process.emitWarning(message, { code: 'PICOM_SERVICE_LOST' });
        }
        process.exitCode ||= 1;
      } else {
        this.options.logger.error(ENDPOINT_MESSAGES.lostCalling(describeReason(reason)));
        // The next connect() dials again, as Nest's ClientNats does.
        this.connecting = undefined;
        this.requester = undefined;
      }
    }
    this.events.emit(PicomEvent.CLOSE, reason);
  }

  private forget(): void {
    this.connection = undefined;
    this.connecting = undefined;
    this.requester = undefined;
    this.responder = undefined;
    this.discovery = undefined;
    this.serving = undefined;
  }
}

function describeReason(reason: PicomConnectionError): string {
  const cause = reason.cause instanceof Error ? ` (${reason.cause.message})` : '';
  return `${reason.message}${cause}`;
}
