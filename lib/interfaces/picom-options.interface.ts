import type { Authenticator, TlsOptions } from '@nats-io/transport-node';
import type { PicomLogger } from './picom-logger.interface.js';

/**
 * Connection options shared by every Picom endpoint (plain `Picom`,
 * `PicomServer`, `PicomClient`). A key that is not an option of the endpoint
 * (a typo, or an option of Nest's `Transport.NATS` or of nats.js `connect()`)
 * is refused with a `PicomOptionsError` saying what to write instead.
 *
 * @publicApi
 */
export interface PicomConnectionOptions {
  /**
   * NATS addresses: an array, or one string with addresses separated by commas.
   * Each is `host`, `host:port`, `nats://host:port` or `tls://host:port`
   * (port 4222 when left out; IPv6 in brackets, `[::1]:4222`). Credentials may
   * be written in the URL (`nats://user:pass@host:4222`, `nats://token@host:4222`).
   * Other schemes are refused: `http://` is not NATS, and `ws://`/`wss://` need
   * nats.js's WebSocket transport, which Picom does not use.
   *
   * When this option is absent, the `PICOM_SERVERS` environment variable is
   * read instead (same comma-separated form; empty counts as unset).
   * @default process.env.PICOM_SERVERS, else ['127.0.0.1:4222']
   */
  servers?: string | string[];
  /**
   * Request timeout in milliseconds, per call overridable. Unlike nats.js's
   * `timeout`, it bounds calls, not the connect (that is `connectTimeout`).
   * @default 30000
   */
  timeout?: number;
  /**
   * Reconnect attempts per server before giving up; `-1` retries for ever.
   * @default -1
   */
  retries?: number;
  /**
   * How long the first connect may take, in milliseconds; a call never waits
   * past its own timeout for it either.
   * @default 5000
   */
  connectTimeout?: number;
  /**
   * Largest header block (bytes) accepted on a received request or reply;
   * larger ones are refused before they are parsed.
   * @default 16384
   */
  maxHeaderBytes?: number;
  /**
   * Most header lines accepted on a received request or reply; more are
   * refused before they are parsed.
   * @default 100
   */
  maxHeaderCount?: number;
  /**
   * Seconds within which a dead broker connection is detected.
   * @default 30
   */
  ttl?: number;
  /**
   * Accepted for compatibility with the TCP edition's options; has no effect.
   * @deprecated a NATS service listens on no port
   */
  port?: number;
  /** NATS token authentication. */
  token?: string;
  /** NATS user (with `pass`). */
  user?: string;
  /** NATS password (with `user`). */
  pass?: string;
  /** NATS authenticator(s): NKey, JWT/creds (see `nkeyAuthenticator`, `credsAuthenticator`). */
  authenticator?: Authenticator | Authenticator[];
  /** TLS settings; `{}` requires TLS with the system's CAs. */
  tls?: TlsOptions | null;
  /**
   * Prefix for reply inboxes, for users whose permissions restrict `_INBOX.>`.
   * @default '_INBOX'
   */
  inboxPrefix?: string;
  /**
   * Connection name shown by the NATS server's monitoring.
   * @default 'picom' or 'picom:<service>'
   */
  name?: string;
  /**
   * OpenTelemetry spans, trace context propagation (W3C `traceparent` in NATS
   * headers) and metrics, once `@opentelemetry/api` is installed and an SDK
   * registered; until then nothing of it is loaded. `false` turns them off for
   * this endpoint (its calls and, when it serves, its handlers). See docs/tracing.md.
   * @default true
   */
  tracing?: boolean;
  /**
   * Where Picom reports what it cannot throw.
   * @default a logger that prints nothing
   */
  logger?: PicomLogger;
}

/**
 * Options of an endpoint that serves a service (`Picom`, `PicomServer`);
 * `PicomClient` refuses them.
 *
 * @publicApi
 */
export interface PicomServeOptions {
  /**
   * How long `close()` waits for in-flight handlers to finish and reply, in ms.
   * @default 10000
   */
  gracePeriod?: number;
  /**
   * How long one handler may run, in milliseconds: past it the caller is
   * answered with an error and the handler's slot is freed; `0` turns it off.
   * @default 60000
   */
  handlerTimeout?: number;
  /**
   * Handlers that may run at once; excess messages wait in arrival order.
   * @default unlimited
   */
  maxConcurrency?: number;
  /**
   * Messages that may wait for a handler slot (with `maxConcurrency`); past it,
   * requests are answered at once with an overload error.
   * @default 10000
   */
  maxQueued?: number;
  /**
   * Answer the NATS micro protocol (`$SRV.PING|INFO|STATS`), so that
   * `nats micro`, `@nats-io/services` clients and `PicomDiscovery` list this
   * instance with per-method statistics; `false` subscribes and counts nothing.
   * @default true
   */
  discovery?: boolean;
  /**
   * The version discovery reports: SemVer (semver.org), as the micro protocol requires.
   * @default '0.0.0'
   */
  version?: string;
  /**
   * The description discovery reports.
   * @default ''
   */
  description?: string;
  /**
   * Free-form string pairs discovery reports (a region, a build).
   * @default {}
   */
  metadata?: Record<string, string>;
}

/**
 * Options of the plain `Picom` class: `new Picom(name, options)`.
 *
 * @publicApi
 */
export interface PicomOptions extends PicomConnectionOptions, PicomServeOptions {}

/**
 * Per-call options of `request()`.
 *
 * @publicApi
 */
export interface PicomRequestOptions {
  /** Timeout of this call in milliseconds, a positive number; the endpoint's `timeout` when left out. */
  timeout?: number;
  /** NATS headers sent with this call (old Picom peers ignore them). */
  headers?: Record<string, string | string[]>;
}
