import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { MESSAGES } from './constants.js';
import { PicomConnection, PicomEventEmitter } from './connection/picom.connection.js';
import { PicomStatus, type PicomEventsMap } from './connection/picom-status.js';
import { PicomConnectionError, PicomConnectionErrorCode, PicomEncodeError, PicomOptionsError } from './errors/index.js';
import type { PicomOptions, PicomRequestOptions } from './interfaces/picom-options.interface.js';
import { resolvePicomOptions, validateServiceName, type ResolvedPicomOptions } from './options/picom-options.resolver.js';
import { encodeRequest } from './protocol/envelope.codec.js';
import { isValidToken } from './protocol/subject.rules.js';
import { PicomRequester } from './requester/picom.requester.js';
import { PicomResponder, type RouteHandler } from './responder/picom.responder.js';

/**
 * A method a service exposes: gets the request's message (`null` when the
 * caller sent none) and the raw NATS message; returns or resolves the payload,
 * throws or rejects for an error reply.
 *
 * @publicApi
 */
export type PicomMethod<TIn = any, TOut = unknown> = (message: TIn, msg: Msg) => TOut | Promise<TOut>;

/**
 * A Picom endpoint without any framework: serves the methods it `expose`s as
 * service `name`, and calls other services with `request` and `publish`.
 * The connection opens on first use.
 *
 * @example
 * const service1 = new Picom('service1', { servers: ['127.0.0.1:4222'] });
 * await service1.expose({ add: async (msg) => ({ result: msg.a + msg.b }) });
 * await new Picom('service2').request('service1.add', { a: 2, b: 5 }); // { result: 7 }
 *
 * @publicApi
 */
export class Picom {
  private readonly options: ResolvedPicomOptions;
  private readonly methods = new Map<string, RouteHandler>();
  private readonly events = new PicomEventEmitter();
  private connecting: Promise<PicomConnection> | undefined;
  private connection: PicomConnection | undefined;
  private requester: PicomRequester | undefined;
  private responder: PicomResponder | undefined;
  private closing: Promise<void> | undefined;
  private readonly route = (method: string): RouteHandler | undefined => this.methods.get(method);

  /**
   * @param name the service name: the subject prefix and queue group of what it exposes
   * @throws {PicomOptionsError} when the name or an option is invalid
   */
  constructor(
    readonly name: string,
    options: PicomOptions = {},
  ) {
    validateServiceName(name);
    this.options = resolvePicomOptions(options, `picom:${name}`);
  }

  /** The connection state; `closed` after `close()` or once reconnects ran out. */
  get status(): PicomStatus {
    return this.connection?.status ?? (this.closing ? PicomStatus.CLOSED : PicomStatus.DISCONNECTED);
  }

  /** Opens the connection now rather than on first use. */
  async connect(): Promise<void> {
    await this.ensureConnected();
  }

  /**
   * Serves `methods` as `<name>.<method>`; may be called again to add more.
   * @throws {PicomOptionsError} when a method name is not one NATS token
   */
  async expose(methods: Record<string, PicomMethod>): Promise<void> {
    for (const [method, fn] of Object.entries(methods)) {
      if (!isValidToken(method) || typeof fn !== 'function') {
        throw new PicomOptionsError(MESSAGES.invalidPattern(method));
      }
    }
    for (const [method, fn] of Object.entries(methods)) {
      this.methods.set(method, fn as RouteHandler);
    }
    const connection = await this.ensureConnected();
    if (!this.responder) {
      const { maxConcurrency, maxQueued, handlerTimeout, logger } = this.options;
      const responder = new PicomResponder(connection, { service: this.name, maxConcurrency, maxQueued, handlerTimeout, logger, route: this.route });
      this.responder = responder;
      try {
        await responder.start();
      } catch (err) {
        // Refused (permissions): a later expose() may try again.
        if (this.responder === responder) this.responder = undefined;
        throw err;
      }
    }
  }

  /**
   * Calls `subject` (`'<service>.<method>'`) and resolves with the reply's payload.
   * @throws {PicomRemoteError} the remote handler failed
   * @throws {PicomTimeoutError} no reply within the timeout
   * @throws {PicomNoRespondersError} nobody serves the subject
   */
  request<T = any>(subject: string, message?: unknown, options?: PicomRequestOptions): Promise<T> {
    let body: string;
    try {
      body = encodeRequest(message);
    } catch (err) {
      return Promise.reject(new PicomEncodeError(MESSAGES.unserializable('the request', (err as Error).message)));
    }
    const timeout = options?.timeout ?? this.options.timeout;
    const requester = this.requester;
    if (requester !== undefined) {
      return requester.call(subject, body, timeout, options?.headers) as Promise<T>;
    }
    return this.ensureConnected().then(() => this.request<T>(subject, message, options));
  }

  /** Sends `message` to `subject` without waiting for anybody (no reply subject). */
  async publish(subject: string, message?: unknown, options?: Pick<PicomRequestOptions, 'headers'>): Promise<void> {
    let body: string;
    try {
      body = encodeRequest(message);
    } catch (err) {
      throw new PicomEncodeError(MESSAGES.unserializable('the message', (err as Error).message));
    }
    await this.ensureConnected();
    (this.requester as PicomRequester).publish(subject, body, options?.headers);
  }

  /**
   * Stops taking requests, lets in-flight handlers reply (up to `gracePeriod`),
   * fails this endpoint's own pending calls, then closes the connection.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Registers a listener for connection events (`disconnect`, `reconnect`, `close`, …). */
  on<E extends keyof PicomEventsMap>(event: E, listener: PicomEventsMap[E]): this {
    this.events.listen(event, listener);
    return this;
  }

  /**
   * The underlying nats.js connection.
   * @throws {PicomConnectionError} before the connection is open
   */
  unwrap<T = NatsConnection>(): T {
    return this.requireConnection().nc as T;
  }

  private ensureConnected(): Promise<PicomConnection> {
    if (this.closing) {
      return Promise.reject(PicomConnectionError.closed());
    }
    this.connecting ??= PicomConnection.open(this.options, this.events).then((connection) => {
      this.connection = connection;
      this.requester = new PicomRequester(connection, this.options.logger, this.options.connection.inboxPrefix);
      return connection;
    });
    // A failed first connect is not cached: the next call tries again.
    this.connecting.catch(() => (this.connecting = undefined));
    return this.connecting;
  }

  private requireConnection(): PicomConnection {
    if (!this.connection) {
      throw new PicomConnectionError(MESSAGES.notConnected, PicomConnectionErrorCode.NOT_CONNECTED);
    }
    return this.connection;
  }

  private async shutdown(): Promise<void> {
    const connection = await this.connecting?.catch(() => undefined);
    if (!connection) {
      return;
    }
    await this.responder?.close(this.options.gracePeriod);
    this.requester?.close(PicomConnectionError.closed());
    await connection.close();
  }
}
