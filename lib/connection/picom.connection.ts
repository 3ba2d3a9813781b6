import { EventEmitter } from 'node:events';
import { connect, type NatsConnection, type Status } from '@nats-io/transport-node';
import { MESSAGES } from '../constants.js';
import { PicomConnectionError, PicomConnectionErrorCode } from '../errors/index.js';
import type { ResolvedPicomOptions } from '../options/picom-options.resolver.js';
import { PicomEvent, PicomStatus, type PicomEventsMap } from './picom-status.js';

/**
 * Where a connection reports its events. Owned by the endpoint, so listeners
 * can be added before the connection exists and survive a reconnect.
 */
export class PicomEventEmitter extends EventEmitter {
  constructor() {
    super();
    // An unheard 'error' event throws; a server error must never crash the process.
    this.on(PicomEvent.ERROR, () => undefined);
  }

  listen<E extends keyof PicomEventsMap>(event: E, listener: PicomEventsMap[E]): void {
    this.on(event, listener);
  }
}

/** nats.js default max_payload, used until the server's INFO says otherwise. */
const FALLBACK_MAX_PAYLOAD = 1024 * 1024;

/**
 * One NATS connection and the translation of its status stream into Picom's
 * status and events. Shared by the plain `Picom` class and the Nest transports.
 */
export class PicomConnection {
  private current: PicomStatus = PicomStatus.CONNECTED;
  /** Resolves once the connection is closed for good, with the reason unless `close()` did it. */
  readonly closed: Promise<Error | undefined>;

  private constructor(
    readonly nc: NatsConnection,
    private readonly options: ResolvedPicomOptions,
    private readonly events: PicomEventEmitter,
  ) {
    void this.watchStatus();
    this.closed = nc.closed().then((err) => this.onClosed(err ?? undefined));
  }

  /** Opens the connection, failing with a `PicomConnectionError` that never names credentials. */
  static async open(options: ResolvedPicomOptions, events: PicomEventEmitter): Promise<PicomConnection> {
    try {
      return new PicomConnection(await connect(options.connection), options, events);
    } catch (err) {
      throw connectError(err, options.servers);
    }
  }

  get status(): PicomStatus {
    return this.current;
  }

  get isClosed(): boolean {
    return this.current === PicomStatus.CLOSED;
  }

  /** The server's max_payload: the largest message it accepts. */
  get maxPayload(): number {
    return this.nc.info?.max_payload ?? FALLBACK_MAX_PAYLOAD;
  }

  /** Flushes what was published, then closes. */
  async close(): Promise<void> {
    if (!this.nc.isClosed()) {
      // Flush only a live connection: while disconnected a flush would wait for
      // a reconnect that may never come, and close() must not hang.
      if (this.current === PicomStatus.CONNECTED) {
        await this.nc.flush().catch(() => undefined);
      }
      await this.nc.close();
    }
    await this.closed;
  }

  private setStatus(status: PicomStatus): void {
    if (this.current !== status) {
      this.current = status;
      this.events.emit(PicomEvent.STATUS, status);
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      this.onStatus(status);
    }
  }

  private onStatus(status: Status): void {
    const logger = this.options.logger;
    switch (status.type) {
      case 'disconnect':
        logger.warn(`Picom: disconnected from NATS at ${status.server}`);
        this.setStatus(PicomStatus.DISCONNECTED);
        this.events.emit(PicomEvent.DISCONNECT, status.server);
        break;
      case 'reconnecting':
        this.setStatus(PicomStatus.RECONNECTING);
        break;
      case 'reconnect':
        logger.log(`Picom: reconnected to NATS at ${status.server}`);
        this.setStatus(PicomStatus.CONNECTED);
        this.events.emit(PicomEvent.RECONNECT, status.server);
        break;
      case 'update':
        this.events.emit(PicomEvent.UPDATE, { added: status.added, deleted: status.deleted });
        break;
      case 'error':
        logger.error(`Picom: NATS server error: ${status.error.message}`);
        this.events.emit(PicomEvent.ERROR, status.error);
        break;
      case 'staleConnection':
        logger.warn('Picom: NATS connection is stale (no answer to pings within ttl); reconnecting');
        break;
      case 'slowConsumer':
        logger.warn(`Picom: slow consumer on ${status.sub.getSubject()}: ${status.pending} messages pending`);
        break;
      default:
        break;
    }
  }

  private onClosed(err: Error | undefined): Error | undefined {
    const reason = err ? new PicomConnectionError(MESSAGES.connectionLost, PicomConnectionErrorCode.CONNECTION_LOST, { cause: err }) : undefined;
    if (reason) {
      this.options.logger.error(`Picom: ${reason.message} (${err?.message})`);
    }
    this.setStatus(PicomStatus.CLOSED);
    this.events.emit(PicomEvent.CLOSE, reason);
    return reason;
  }
}

function connectError(err: unknown, servers: string[]): PicomConnectionError {
  const where = servers.join(', ');
  const name = err instanceof Error ? err.name : '';
  if (name === 'AuthorizationError' || name === 'UserAuthenticationExpiredError') {
    return new PicomConnectionError(MESSAGES.authorization(where), PicomConnectionErrorCode.AUTHORIZATION, { cause: err });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new PicomConnectionError(MESSAGES.connectFailed(where, reason), PicomConnectionErrorCode.CONNECT_FAILED, { cause: err });
}
