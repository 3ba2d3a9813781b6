import { connect, errors, type NatsConnection, type Status } from '@nats-io/transport-node';
import { CONNECTION_LOG_MESSAGES, CONNECTION_MESSAGES, FALLBACK_MAX_PAYLOAD } from './constants.js';
import { PicomConnectionError, PicomConnectionErrorCode, PicomPermissionError } from '../errors/index.js';
import type { ResolvedPicomOptions } from '../options/picom-options.resolver.js';
import type { PicomEvents } from './picom.events.js';
import { PicomEvent, PicomStatus } from './picom-status.js';

/** Told of every permissions violation the server reports on a connection. */
export type PermissionListener = (err: PicomPermissionError) => void;

/**
 * One NATS connection and the translation of its status stream into Picom's
 * status and events. Owned by an endpoint (`PicomEndpoint`), which decides
 * what happens when it closes.
 */
export class PicomConnection {
  private current: PicomStatus = PicomStatus.CONNECTED;
  private readonly permissionListeners = new Set<PermissionListener>();
  /**
   * Resolves once the connection is closed for good: with the reason when
   * reconnects ran out or the credentials were refused, `undefined` after `close()`.
   */
  readonly closed: Promise<PicomConnectionError | undefined>;

  private constructor(
    readonly nc: NatsConnection,
    private readonly options: ResolvedPicomOptions,
    private readonly events: PicomEvents,
  ) {
    void this.watchStatus();
    this.closed = nc.closed().then((err) => this.onClosed(err ?? undefined));
  }

  /** Opens the connection, failing with a `PicomConnectionError` that never names credentials. */
  static async open(options: ResolvedPicomOptions, events: PicomEvents): Promise<PicomConnection> {
    let nc: NatsConnection;
    try {
      // The first dial runs without reconnect: when a server closes the socket in
      // the middle of it (a TLS client certificate it refuses), nats.js with
      // reconnect on waits out its whole connect timeout and then reports only
      // "timeout"; with it off, the dial fails at once with the real reason.
      nc = await connect({ ...options.connection, reconnect: false });
    } catch (err) {
      throw connectError(err, options.servers, Boolean(options.connection.tls));
    }
    if (!enableReconnect(nc)) {
      // nats.js moved the option: dial again the plain way rather than run
      // without reconnect (a connection that never comes back after a blip).
      await nc.close();
      try {
        nc = await connect(options.connection);
      } catch (err) {
        throw connectError(err, options.servers, Boolean(options.connection.tls));
      }
    }
    return new PicomConnection(nc, options, events);
  }

  get status(): PicomStatus {
    return this.current;
  }

  get isClosed(): boolean {
    return this.current === PicomStatus.CLOSED;
  }

  /**
   * Lost and reconnecting. nats.js discards what is published meanwhile when it
   * dials again, so callers refuse to send rather than wait for a timeout.
   */
  get isDown(): boolean {
    return this.current === PicomStatus.DISCONNECTED || this.current === PicomStatus.RECONNECTING;
  }

  /** The server's max_payload: the largest message it accepts. */
  get maxPayload(): number {
    return this.nc.info?.max_payload ?? FALLBACK_MAX_PAYLOAD;
  }

  /** The server this connection is on, as `host:port` (credentials never appear in it). */
  get server(): string {
    return this.nc.getServer();
  }

  /**
   * Registers a listener for the permissions violations the server reports
   * (a refused publish or subscription); nothing is spent per message.
   */
  onPermissionError(listener: PermissionListener): void {
    this.permissionListeners.add(listener);
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
        logger.warn(CONNECTION_LOG_MESSAGES.disconnected(status.server));
        this.setStatus(PicomStatus.DISCONNECTED);
        this.events.emit(PicomEvent.DISCONNECT, status.server);
        break;
      case 'reconnecting':
        this.setStatus(PicomStatus.RECONNECTING);
        break;
      case 'reconnect':
        logger.log(CONNECTION_LOG_MESSAGES.reconnected(status.server));
        this.setStatus(PicomStatus.CONNECTED);
        this.events.emit(PicomEvent.RECONNECT, status.server);
        break;
      case 'update':
        this.events.emit(PicomEvent.UPDATE, { added: status.added, deleted: status.deleted });
        break;
      case 'error':
        this.onServerError(status.error);
        break;
      case 'staleConnection':
        logger.warn(CONNECTION_LOG_MESSAGES.stale);
        break;
      case 'slowConsumer':
        logger.warn(CONNECTION_LOG_MESSAGES.slowConsumer(status.sub.getSubject(), status.pending));
        break;
      default:
        break;
    }
  }

  /** A `-ERR` from the server: permissions violations get their own error, listeners and log line. */
  private onServerError(err: Error): void {
    let reported: Error = err;
    if (err instanceof errors.PermissionViolationError) {
      const denied = permissionError(err);
      reported = denied;
      this.options.logger.error(CONNECTION_LOG_MESSAGES.reported(denied.message));
      for (const listener of this.permissionListeners) {
        listener(denied);
      }
    } else if (isAuthorizationError(err)) {
      reported = new PicomConnectionError(CONNECTION_MESSAGES.authorization(this.nc.getServer()), PicomConnectionErrorCode.AUTHORIZATION, { cause: err });
      this.options.logger.error(CONNECTION_LOG_MESSAGES.reported(`${reported.message} (${err.message})`));
    } else {
      this.options.logger.error(CONNECTION_LOG_MESSAGES.serverError(err.message));
    }
    this.events.emit(PicomEvent.ERROR, reported);
  }

  /** The endpoint logs a lost connection, since only it knows what happens next. */
  private onClosed(err: Error | undefined): PicomConnectionError | undefined {
    let reason: PicomConnectionError | undefined;
    if (err && isAuthorizationError(err)) {
      // nats.js gives up after the same authorization error twice in a row, whatever `retries` says.
      reason = new PicomConnectionError(CONNECTION_MESSAGES.authorizationLost(this.options.servers.join(', ')), PicomConnectionErrorCode.AUTHORIZATION, { cause: err });
    } else if (err) {
      reason = new PicomConnectionError(CONNECTION_MESSAGES.connectionLost, PicomConnectionErrorCode.CONNECTION_LOST, { cause: err });
    }
    this.permissionListeners.clear();
    this.setStatus(PicomStatus.CLOSED);
    return reason;
  }
}

/**
 * Turns reconnect on once the first dial succeeded. nats.js reads the option
 * from the connection's own options object at each disconnect; this runs in
 * the same tick as the connect resolving, so no disconnect can come first.
 * Returns false when that object is not where it was (a nats.js upgrade), so
 * the caller can fall back; the broker-restart tests fail if it regresses.
 */
function enableReconnect(nc: NatsConnection): boolean {
  const options = (nc as NatsConnection & { options?: { reconnect?: unknown } }).options;
  if (options === null || typeof options !== 'object' || options.reconnect !== false) {
    return false;
  }
  options.reconnect = true;
  return true;
}

/**
 * TLS alerts by which a server refuses the client's certificate (not the client
 * distrusting the server). OpenSSL names the alert `SSLV3_ALERT_…` or, in newer
 * versions (Node 22's), `SSL/TLS_ALERT_…`.
 */
const TLS_CERTIFICATE_REFUSED = /^ERR_SSL_[\w/]*ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|UNKNOWN_CA|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)$/;

function connectError(err: unknown, servers: string[], tls: boolean): PicomConnectionError {
  const where = servers.join(', ');
  if (isAuthorizationError(err)) {
    return new PicomConnectionError(CONNECTION_MESSAGES.authorization(where), PicomConnectionErrorCode.AUTHORIZATION, { cause: err });
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TLS_CERTIFICATE_REFUSED.test(code)) {
    return new PicomConnectionError(CONNECTION_MESSAGES.tlsCertificateRefused(where, code), PicomConnectionErrorCode.AUTHORIZATION, { cause: err });
  }
  // A server refusing the client certificate sends an alert and closes; when
  // the client is writing at that moment, the reset arrives before the alert.
  if (code === 'ECONNRESET' && tls) {
    return new PicomConnectionError(CONNECTION_MESSAGES.tlsHandshakeReset(where, code), PicomConnectionErrorCode.AUTHORIZATION, { cause: err });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new PicomConnectionError(CONNECTION_MESSAGES.connectFailed(where, reason), PicomConnectionErrorCode.CONNECT_FAILED, { cause: err });
}

/**
 * A nats.js error saying the connection is closed or draining, as the
 * `PicomConnectionError` (`CLOSED`) callers get for it; `undefined` for any other.
 */
export function closedConnectionError(err: unknown): PicomConnectionError | undefined {
  return err instanceof errors.ClosedConnectionError || err instanceof errors.DrainingConnectionError
    ? PicomConnectionError.closed({ cause: err })
    : undefined;
}

function isAuthorizationError(err: unknown): boolean {
  return err instanceof errors.AuthorizationError || err instanceof errors.UserAuthenticationExpiredError;
}

/** nats.js's PermissionViolationError (operation, subject, queue) as a Picom error. */
function permissionError(err: InstanceType<typeof errors.PermissionViolationError>): PicomPermissionError {
  const operation = err.operation === 'subscription' ? 'subscribe' : 'publish';
  const queue = err.queue || undefined;
  return new PicomPermissionError(CONNECTION_MESSAGES.permissionDenied(operation, err.subject, queue), operation, err.subject, queue, { cause: err });
}
