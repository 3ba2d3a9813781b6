import type { NatsConnection } from '@nats-io/transport-node';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { Observable, throwError, type Subscriber, type Unsubscribable } from 'rxjs';
import { CONNECTION_MESSAGES } from '../../connection/constants.js';
import type { PicomStatus, PicomEventsMap } from '../../connection/picom-status.js';
import { PicomEndpoint } from '../../endpoint/picom.endpoint.js';
import type { CallTarget } from '../../endpoint/picom-endpoint.interfaces.js';
import { PicomError } from '../../errors/index.js';
import { callTimeout, resolvePicomOptions, type ResolvedPicomOptions } from '../../options/picom-options.resolver.js';
import { encodeBody } from '../../protocol/envelope.codec.js';
import type { PicomHeaders } from '../../requester/picom.requester.js';
import { assertSupportedNest, createPacket, packetMetadata } from '../compat/nest.features.js';
import { NEST_MESSAGES } from '../constants.js';
import type { PicomClientOptions } from '../interfaces/picom-nest-options.interface.js';
import { PicomRecord } from '../record-builders/picom.record-builder.js';

/** A packet made ready for the wire. */
interface OutgoingCall {
  subject: string;
  body: string;
  timeout: number;
  headers: PicomHeaders | undefined;
}

/**
 * Nest client proxy for Picom services: `send('service1.add', data)` calls
 * a method and emits its payload; `emit('service1.fib', data)` publishes.
 *
 * @example
 * ClientsModule.register([{ name: 'SERVICE1', customClass: PicomClient, options: { servers: ['127.0.0.1:4222'] } }]);
 * this.client.send('service1.add', { a: 2, b: 5 }); // Observable of { result: 7 }
 *
 * @publicApi
 */
// The status type parameter stays `string`, as Nest's `Type<ClientProxy>` has it,
// so `ClientsModule.register([{ customClass: PicomClient }])` type-checks; the
// `status` getter below narrows it back to PicomStatus.
export class PicomClient extends ClientProxy<PicomEventsMap, string> implements OnApplicationShutdown {
  protected readonly logger = new Logger(PicomClient.name);
  private readonly resolved: ResolvedPicomOptions;
  /** `serializeResponse`/`serializeError` for the calls in flight (a subclass's overrides included). */
  private readonly serializers: Serializers = {
    response: (response) => this.serializeResponse(response),
    error: (err) => this.serializeError(err),
  };
  private readonly endpoint: PicomEndpoint;

  /** @throws {PicomOptionsError} when an option is invalid */
  constructor(options: PicomClientOptions = {}) {
    super();
    assertSupportedNest();
    this.resolved = resolvePicomOptions(options, { clientName: 'picom:client', defaultLogger: this.logger, endpoint: 'client' });
    this.endpoint = new PicomEndpoint(this.resolved, {
      calls: true,
      reopens: true,
      onOpen: (connection) => this.resolved.logger.log(CONNECTION_MESSAGES.clientConnected(this.resolved.connection.name as string, connection.server)),
    });
    this.endpoint.on('status', (status) => this._status$.next(status));
  }

  /** Connection states: `connected`, `disconnected`, `reconnecting`, `closed`. */
  override get status(): Observable<PicomStatus> {
    return super.status as Observable<PicomStatus>;
  }

  /**
   * Opens the connection once; later calls share it. A failed attempt is not
   * kept. After reconnects ran out, the next call dials again; `close()` then
   * `connect()` starts over.
   */
  async connect(): Promise<NatsConnection> {
    return (await this.endpoint.connect()).nc;
  }

  /** Fails pending calls at once, then closes the connection. */
  close(): Promise<void> {
    return this.endpoint.close();
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  override on<E extends keyof PicomEventsMap>(event: E, callback: PicomEventsMap[E]): void {
    this.endpoint.on(event, callback);
  }

  unwrap<T = NatsConnection>(): T {
    return this.endpoint.unwrap<T>(NEST_MESSAGES.clientNotConnected);
  }

  /**
   * Same contract as `ClientProxy.send`, without its per-call rxjs pipeline:
   * once connected, subscribing publishes at once.
   */
  override send<TResult = any, TInput = any>(pattern: any, data: TInput): Observable<TResult> {
    if (pattern == null || data == null) {
      return throwError(() => new PicomError(NEST_MESSAGES.invalidMessage));
    }
    return new Observable<TResult>((observer) => this.call(pattern, data, observer));
  }

  /**
   * One request for one subscriber. Does what `publish(createPacket(), createObserver())`
   * does, without the closures and packet objects between the reply and the
   * subscriber: one `SubscriberCall` per call is both the requester's reply
   * target and the subscription's teardown. A subclass that overrides
   * `publish` or `createObserver` gets them called as usual.
   */
  private call(pattern: unknown, data: unknown, observer: Subscriber<any>): Teardown {
    if (this.publish !== PicomClient.prototype.publish || this.createObserver !== BASE_CREATE_OBSERVER) {
      return this.publish(createPacket(this, pattern, data), this.createObserver(observer));
    }
    let call: OutgoingCall;
    try {
      call = this.prepare(createPacket(this, pattern, data));
    } catch (err) {
      observer.error(this.serializeError(err));
      return noop;
    }
    const target = new SubscriberCall(observer, this.serializers, this.endpoint);
    this.endpoint.request(call.subject, call.body, call.timeout, target, call.headers);
    return target;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let call: OutgoingCall;
    try {
      call = this.prepare(packet);
    } catch (err) {
      callback({ err });
      return noop;
    }
    const target = new PacketCall(callback);
    this.endpoint.request(call.subject, call.body, call.timeout, target, call.headers);
    return () => this.endpoint.cancel(target);
  }

  protected async dispatchEvent<T = any>(packet: ReadPacket): Promise<T> {
    const call = this.prepare(packet);
    this.endpoint.publish(call.subject, call.body, call.headers);
    return undefined as T;
  }

  private prepare(packet: ReadPacket): OutgoingCall {
    const subject = typeof packet.pattern === 'string' ? packet.pattern : this.normalizePattern(packet.pattern);
    let data: unknown = packet.data;
    let headers: PicomHeaders | undefined;
    let timeout = this.resolved.timeout;
    if (data instanceof PicomRecord) {
      headers = data.headers;
      timeout = callTimeout(data.timeout, timeout);
      data = data.data;
    }
    const metadata = packetMetadata(packet);
    if (metadata) {
      // Metadata set by a dispatch hook (a trace id) rides in headers, never in the body.
      headers = { ...metadata, ...headers };
    }
    return { subject, body: encodeBody(data, 'the message'), timeout, headers };
  }
}

function noop(): void {}

type Teardown = Unsubscribable | (() => void);

interface Serializers {
  response(response: unknown): unknown;
  error(err: unknown): unknown;
}

/** One `send()` subscription in flight: the endpoint's reply target and the subscriber's teardown. */
class SubscriberCall implements CallTarget, Unsubscribable {
  token: string | undefined;

  constructor(
    private readonly observer: Subscriber<unknown>,
    private readonly serialize: Serializers,
    private readonly endpoint: PicomEndpoint,
  ) {}

  settle(err: Error | null, payload?: unknown): void {
    this.token = undefined;
    if (err) {
      this.observer.error(this.serialize.error(err));
      return;
    }
    // As createObserver does for a disposed packet: no value for an empty reply.
    if (payload !== undefined) {
      this.observer.next(this.serialize.response(payload));
    }
    this.observer.complete();
  }

  unsubscribe(): void {
    if (this.token !== undefined) {
      this.endpoint.cancel(this);
    }
  }
}

/** One call made through `publish(packet, callback)`: its outcome as Nest's write packet. */
class PacketCall implements CallTarget {
  token: string | undefined;

  constructor(private readonly callback: (packet: WritePacket) => void) {}

  settle(err: Error | null, payload?: unknown): void {
    this.token = undefined;
    if (err) {
      this.callback({ err });
    } else {
      this.callback({ response: payload, isDisposed: true });
    }
  }
}

/** `ClientProxy`'s own `createObserver`, to tell whether a subclass replaced it. */
const BASE_CREATE_OBSERVER = (ClientProxy.prototype as unknown as { createObserver: unknown }).createObserver;
