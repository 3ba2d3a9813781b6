import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { CONNECTION_MESSAGES } from '../../connection/constants.js';
import { PicomStatus, type PicomEventsMap } from '../../connection/picom-status.js';
import { PicomEndpoint } from '../../endpoint/picom.endpoint.js';
import { PicomOptionsError } from '../../errors/index.js';
import { requireOptionsObject, resolvePicomOptions, validateServiceName } from '../../options/picom-options.resolver.js';
import { PROTOCOL_MESSAGES } from '../../protocol/constants.js';
import { methodRefusal } from '../../protocol/subject.rules.js';
import { isPromiseLike, replyValue } from '../../responder/handler-result.js';
import { PicomRoute, type RouteHandler } from '../../routes/picom-route.js';
import {
  assertSupportedNest,
  endHookRunner,
  hasProcessingEndHook,
  patternText,
  processingStartHook,
  propagateEventHandlerErrors,
  runProcessingStartHook,
} from '../compat/nest.features.js';
import { NEST_MESSAGES, PICOM_TRANSPORT } from '../constants.js';
import { PicomContext } from '../ctx-host/picom.context.js';
import { rpcErrorEnvelope } from '../errors/rpc-error.encoder.js';
import type { PicomServerOptions } from '../interfaces/picom-nest-options.interface.js';

/**
 * Nest transport strategy serving one Picom service: `@MessagePattern('add')`
 * answers `<service>.add`, wire-compatible with existing Picom processes.
 *
 * @example
 * const app = await NestFactory.createMicroservice(AppModule, {
 *   strategy: new PicomServer({ service: 'service1', servers: ['127.0.0.1:4222'] }),
 * });
 * await app.listen();
 *
 * @publicApi
 */
export class PicomServer extends Server<PicomEventsMap, PicomStatus> implements CustomTransportStrategy {
  override readonly transportId = PICOM_TRANSPORT;
  protected override readonly logger = new Logger(PicomServer.name);
  /** The service this server serves. */
  readonly service: string;
  private readonly endpoint: PicomEndpoint;
  /** Built anew by each listen(): a new start counts from zero. */
  private readonly routes = new Map<string, PicomRoute>();
  /** Patterns that were not strings (`{ cmd: 'add' }`), refused at listen(). */
  private readonly objectPatterns: string[] = [];
  /**
   * Nest's default start hook (`(transportId, context, done) => done()`), until
   * `setOnProcessingStartHook` replaces it; `undefined` before Nest 11.1.
   */
  private readonly defaultStartHook = processingStartHook(this);

  /** @throws {PicomOptionsError} when the service name or an option is invalid */
  constructor(options: PicomServerOptions) {
    super();
    assertSupportedNest();
    propagateEventHandlerErrors(this);
    requireOptionsObject(options);
    this.service = validateServiceName(options.service);
    const resolved = resolvePicomOptions(options, { clientName: `picom:${this.service}`, defaultLogger: this.logger, endpoint: 'server' });
    this.endpoint = new PicomEndpoint(resolved, { calls: false, reopens: true });
    this.endpoint.on('status', (status) => this._status$.next(status));
  }

  /**
   * Connects and subscribes `<service>.>` in queue group `<service>`. A
   * `close()` that comes first wins: the connection is closed and `callback`
   * gets a `PicomConnectionError` (`CLOSED`).
   */
  async listen(callback: (err?: unknown, ...optionalParams: unknown[]) => void): Promise<void> {
    try {
      this.bindRoutes();
      const connection = await this.endpoint.serve({
        service: this.service,
        routes: this.routes,
        encodeError: rpcErrorEnvelope,
        observables: true,
      });
      this.endpoint.options.logger.log(CONNECTION_MESSAGES.serving(this.service, connection.server, [...this.routes.keys()]));
      callback();
    } catch (err) {
      // A refused subscription leaves an open connection that serves nothing: close it.
      await this.endpoint.close().catch(() => undefined);
      callback(err);
    }
  }

  /**
   * Stops deliveries, lets in-flight handlers reply (up to `gracePeriod`), then
   * closes the connection. Nest calls it from `app.close()`.
   */
  close(): Promise<void> {
    return this.endpoint.close();
  }

  on<E extends keyof PicomEventsMap>(event: E, callback: PicomEventsMap[E]): void {
    this.endpoint.on(event, callback);
  }

  unwrap<T = NatsConnection>(): T {
    return this.endpoint.unwrap<T>(NEST_MESSAGES.serverNotListening);
  }

  /**
   * Remembers non-string patterns: Nest turns `{ cmd: 'add' }` into the string
   * `{"cmd":"add"}`, which would otherwise pass as one NATS token.
   */
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras: Record<string, any> = {}): void {
    if (typeof pattern !== 'string') {
      this.objectPatterns.push(patternText(pattern));
    }
    super.addHandler(pattern, callback, isEventHandler, extras);
  }

  /** Checks every pattern is one method token within its length limit and builds the route table. */
  private bindRoutes(): void {
    if (this.objectPatterns.length > 0) {
      throw new PicomOptionsError(PROTOCOL_MESSAGES.invalidPattern(this.objectPatterns[0] as string));
    }
    this.routes.clear();
    for (const [pattern, handler] of this.messageHandlers) {
      const refusal = methodRefusal(pattern);
      if (refusal !== undefined) {
        throw new PicomOptionsError(refusal);
      }
      const run: RouteHandler = handler.isEventHandler
        ? (message, msg, method) => ignoreResult(this.invoke(handler, message, msg, method))
        : (message, msg, method) => this.invoke(handler, message, msg, method);
      this.routes.set(pattern, new PicomRoute(run));
    }
  }

  /**
   * Runs a Nest handler. With Nest's default processing hooks (a start hook
   * that only calls `done`, no end hook) there is nothing to run around it: its
   * result goes to the responder as is (which takes an Observable's last
   * value), so a plain value settles at once and a promise costs no promise of
   * ours. Otherwise the handler runs between the hooks, and the end hook runs
   * once its reply value is known.
   */
  private invoke(handler: MessageHandler, message: unknown, msg: Msg, method: string): unknown {
    // The message itself, not msg.headers: the headers are parsed only if the handler reads them.
    const context = new PicomContext([msg.subject, undefined, this.service, method], msg);
    if (processingStartHook(this) === this.defaultStartHook && !hasProcessingEndHook(this)) {
      return handler(message, context);
    }
    return this.invokeWithHooks(handler, message, context);
  }

  private invokeWithHooks(handler: MessageHandler, message: unknown, context: PicomContext): Promise<unknown> {
    return new Promise((resolve, reject) => {
      runProcessingStartHook(this, context, async () => {
        const runEndHook = endHookRunner(this, context);
        try {
          const value = await replyValue(handler(message, context));
          runEndHook();
          resolve(value);
        } catch (err) {
          runEndHook();
          reject(err);
        }
      });
    });
  }
}

/** An event handler answers nothing: only its completion (or failure) counts, an Observable's included. */
function ignoreResult(result: unknown): unknown {
  const value = replyValue(result);
  return isPromiseLike(value) ? value.then(ignoreValue) : undefined;
}

function ignoreValue(): undefined {
  return undefined;
}
