import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { CONNECTION_MESSAGES } from './connection/constants.js';
import type { PicomEventsMap, PicomStatus } from './connection/picom-status.js';
import { ENDPOINT_MESSAGES } from './endpoint/constants.js';
import { PicomEndpoint } from './endpoint/picom.endpoint.js';
import { PicomOptionsError } from './errors/index.js';
import type { PicomOptions, PicomRequestOptions } from './interfaces/picom-options.interface.js';
import { callTimeout, resolvePicomOptions, validateServiceName } from './options/picom-options.resolver.js';
import { encodeBody } from './protocol/envelope.codec.js';
import { PROTOCOL_MESSAGES } from './protocol/constants.js';
import { methodRefusal } from './protocol/subject.rules.js';
import { PicomRoute, type RouteHandler } from './routes/picom-route.js';

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
  private readonly endpoint: PicomEndpoint;
  /** Read by the responder on every request, and by discovery: methods exposed later are served and listed. */
  private readonly methods = new Map<string, PicomRoute>();

  /**
   * @param name the service name: the subject prefix and queue group of what it exposes
   * @throws {PicomOptionsError} when the name or an option is invalid
   */
  constructor(
    readonly name: string,
    options: PicomOptions = {},
  ) {
    validateServiceName(name);
    const resolved = resolvePicomOptions(options, { clientName: `picom:${name}` });
    this.endpoint = new PicomEndpoint(resolved, {
      calls: false,
      reopens: false,
      // One start-up line: a Picom that serves says so in expose(); one that only calls, here.
      onOpen: (connection) => {
        if (this.methods.size === 0) resolved.logger.log(CONNECTION_MESSAGES.clientConnected(resolved.connection.name as string, connection.server));
      },
    });
  }

  /** The connection state; `closed` after `close()` or once reconnects ran out. */
  get status(): PicomStatus {
    return this.endpoint.status;
  }

  /** Opens the connection now rather than on first use. */
  async connect(): Promise<void> {
    await this.endpoint.connect();
  }

  /**
   * Serves `methods` as `<name>.<method>`; may be called again to add more.
   * @throws {PicomOptionsError} when a method name is not one NATS token or is over 256 bytes
   * @throws {PicomPermissionError} when the server refuses the service's subscription
   */
  async expose(methods: Record<string, PicomMethod>): Promise<void> {
    for (const [method, fn] of Object.entries(methods)) {
      const refusal = typeof fn === 'function' ? methodRefusal(method) : PROTOCOL_MESSAGES.invalidPattern(method);
      if (refusal !== undefined) {
        throw new PicomOptionsError(refusal);
      }
    }
    for (const [method, fn] of Object.entries(methods)) {
      this.methods.set(method, new PicomRoute(fn as RouteHandler));
    }
    const connection = await this.endpoint.serve({ service: this.name, routes: this.methods });
    this.endpoint.options.logger.log(CONNECTION_MESSAGES.serving(this.name, connection.server, [...this.methods.keys()]));
  }

  /**
   * Calls `subject` (`'<service>.<method>'`) and resolves with the reply's payload.
   * @throws {PicomRemoteError} the remote handler failed
   * @throws {PicomTimeoutError} no reply within the timeout (the first connect included)
   * @throws {PicomNoRespondersError} nobody serves the subject
   * @throws {PicomOptionsError} the per-call timeout is not a positive number
   */
  request<T = any>(subject: string, message?: unknown, options?: PicomRequestOptions): Promise<T> {
    let body: string;
    let timeout: number;
    try {
      body = encodeBody(message, 'the request');
      timeout = callTimeout(options?.timeout, this.endpoint.options.timeout);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.endpoint.call(subject, body, timeout, options?.headers) as Promise<T>;
  }

  /** Sends `message` to `subject` without waiting for anybody (no reply subject). */
  async publish(subject: string, message?: unknown, options?: Pick<PicomRequestOptions, 'headers'>): Promise<void> {
    const body = encodeBody(message, 'the message');
    await this.endpoint.connect();
    this.endpoint.publish(subject, body, options?.headers);
  }

  /**
   * Stops taking requests, lets in-flight handlers reply (up to `gracePeriod`),
   * fails this endpoint's own pending calls, then closes the connection. Final:
   * later calls fail with a `PicomConnectionError` (`CLOSED`).
   */
  close(): Promise<void> {
    return this.endpoint.close();
  }

  /** Registers a listener for connection events (`disconnect`, `reconnect`, `close`, …). */
  on<E extends keyof PicomEventsMap>(event: E, listener: PicomEventsMap[E]): this {
    this.endpoint.on(event, listener);
    return this;
  }

  /**
   * The underlying nats.js connection.
   * @throws {PicomConnectionError} before the connection is open
   */
  unwrap<T = NatsConnection>(): T {
    return this.endpoint.unwrap<T>(ENDPOINT_MESSAGES.notConnected);
  }
}
