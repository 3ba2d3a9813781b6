import type { ConnectionOptions } from '@nats-io/transport-node';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_DESCRIPTION,
  DEFAULT_GRACE_PERIOD,
  DEFAULT_HANDLER_TIMEOUT,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADER_COUNT,
  DEFAULT_MAX_QUEUED,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT,
  DEFAULT_TTL,
  MAX_PINGS_OUT,
} from '../constants.js';
import { PicomOptionsError } from '../errors/index.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import type { PicomOptions } from '../interfaces/picom-options.interface.js';
import { OPTION_MESSAGES } from './constants.js';
import { refuseUnknownKeys, type PicomEndpointKind } from './option-keys.js';
import {
  describeOption,
  isIntegerFrom,
  isPositiveNumber,
  requireOptionsObject,
  resolveMetadata,
  resolveVersion,
  validateConnectionName,
  validateInboxPrefix,
  validateLogger,
} from './option.validators.js';
import { resolveServers } from './servers.parser.js';
import { SILENT_LOGGER } from './silent.logger.js';

export type { PicomEndpointKind } from './option-keys.js';
export { callTimeout, requireOptionsObject, validateServiceName } from './option.validators.js';

/** Options after defaults, validation and extraction of URL credentials. */
export interface ResolvedPicomOptions {
  /** Server addresses with any credentials removed: safe to log. */
  readonly servers: string[];
  readonly timeout: number;
  readonly retries: number;
  readonly ttl: number;
  /** Bound on the first connect, in ms. */
  readonly connectTimeout: number;
  /** Bounds on received header blocks, checked before parsing. */
  readonly maxHeaderBytes: number;
  readonly maxHeaderCount: number;
  readonly gracePeriod: number;
  /** Server-side deadline of one handler, in ms; 0 means none. */
  readonly handlerTimeout: number;
  readonly maxConcurrency: number;
  readonly maxQueued: number;
  /** Answer `$SRV.PING|INFO|STATS` and count per-method stats. */
  readonly discovery: boolean;
  /** Load `@opentelemetry/api` (when installed) and trace and measure calls and handlers. */
  readonly tracing: boolean;
  /** What discovery reports: a SemVer version, a description, frozen string pairs. */
  readonly version: string;
  readonly description: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly logger: PicomLogger;
  /** What goes to nats.js `connect()`. */
  readonly connection: ConnectionOptions;
}

/** Who the options are for: what the endpoint is, and what it uses when an option is left out. */
export interface PicomOptionsSettings {
  /** The connection name when the `name` option is absent (`picom:<service>`). */
  readonly clientName?: string;
  /** The logger when the `logger` option is absent: Nest faces pass their own. */
  readonly defaultLogger?: PicomLogger;
  /** Which keys are options here; defaults to `'picom'`. */
  readonly endpoint?: PicomEndpointKind;
}

let portWarned = false;

/**
 * Applies defaults and validates every option in one place; invalid options
 * throw a `PicomOptionsError` naming the option. Keys that are not options of
 * the endpoint are refused, whatever their value.
 */
export function resolvePicomOptions(options: PicomOptions = {}, settings: PicomOptionsSettings = {}): ResolvedPicomOptions {
  requireOptionsObject(options);
  refuseUnknownKeys(options, settings.endpoint ?? 'picom');
  const timeout = positiveNumber(options, 'timeout', DEFAULT_TIMEOUT);
  const retries = integer(options, 'retries', DEFAULT_RETRIES, -1);
  const ttl = positiveNumber(options, 'ttl', DEFAULT_TTL);
  const connectTimeout = positiveNumber(options, 'connectTimeout', DEFAULT_CONNECT_TIMEOUT);
  const maxHeaderBytes = integer(options, 'maxHeaderBytes', DEFAULT_MAX_HEADER_BYTES, 1);
  const maxHeaderCount = integer(options, 'maxHeaderCount', DEFAULT_MAX_HEADER_COUNT, 1);
  const gracePeriod = integer(options, 'gracePeriod', DEFAULT_GRACE_PERIOD, 0);
  const handlerTimeout = integer(options, 'handlerTimeout', DEFAULT_HANDLER_TIMEOUT, 0);
  const maxConcurrency = options.maxConcurrency === undefined ? Infinity : integer(options, 'maxConcurrency', 0, 1);
  const maxQueued = integer(options, 'maxQueued', DEFAULT_MAX_QUEUED, 0);
  const logger = options.logger === undefined ? (settings.defaultLogger ?? SILENT_LOGGER) : validateLogger(options.logger);
  const discovery = onUnlessFalse(options, 'discovery');
  const tracing = onUnlessFalse(options, 'tracing');
  const version = resolveVersion(options.version);
  const metadata = resolveMetadata(options.metadata);
  if (options.port !== undefined) {
    if (typeof options.port !== 'number') {
      throw new PicomOptionsError(OPTION_MESSAGES.optionNotNumber('port', describeOption(options.port)));
    }
    warnPortOnce();
  }
  for (const key of ['token', 'user', 'pass', 'inboxPrefix', 'name', 'description'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string') {
      throw new PicomOptionsError(OPTION_MESSAGES.optionNotString(key));
    }
  }
  return {
    timeout,
    retries,
    ttl,
    connectTimeout,
    maxHeaderBytes,
    maxHeaderCount,
    gracePeriod,
    handlerTimeout,
    maxConcurrency,
    maxQueued,
    discovery,
    tracing,
    version,
    description: options.description ?? DEFAULT_DESCRIPTION,
    metadata,
    logger,
    ...connectionOptions(options, { retries, ttl, connectTimeout, name: options.name ?? settings.clientName ?? 'picom' }),
  };
}

/** What goes to nats.js `connect()`: addresses, credentials (from the options, else from the URLs) and liveness. */
function connectionOptions(
  options: PicomOptions,
  settings: { retries: number; ttl: number; connectTimeout: number; name: string },
): Pick<ResolvedPicomOptions, 'servers' | 'connection'> {
  const parsed = resolveServers(options.servers);
  const fromUrl = parsed.find((p) => p.user !== undefined || p.token !== undefined);
  const servers = parsed.map((p) => p.server);
  const connection: ConnectionOptions = {
    servers,
    name: validateConnectionName(settings.name),
    maxReconnectAttempts: settings.retries,
    timeout: settings.connectTimeout,
    // Stale after MAX_PINGS_OUT unanswered pings plus one interval: within ttl.
    pingInterval: Math.max(1, Math.floor((settings.ttl * 1000) / (MAX_PINGS_OUT + 1))),
    maxPingOut: MAX_PINGS_OUT,
    // Async stack capture costs on every nats.js request; Picom raises its own errors.
    noAsyncTraces: true,
  };
  const token = options.token ?? fromUrl?.token;
  const user = options.user ?? fromUrl?.user;
  const pass = options.pass ?? fromUrl?.pass;
  if (token !== undefined) connection.token = token;
  if (user !== undefined) connection.user = user;
  if (pass !== undefined) connection.pass = pass;
  if (options.authenticator !== undefined) connection.authenticator = options.authenticator;
  if (options.tls !== undefined) connection.tls = options.tls;
  if (options.inboxPrefix !== undefined) connection.inboxPrefix = validateInboxPrefix(options.inboxPrefix);
  return { servers, connection };
}

function positiveNumber(options: PicomOptions, key: 'timeout' | 'ttl' | 'connectTimeout', fallback: number): number {
  const value = options[key];
  if (value === undefined) {
    return fallback;
  }
  if (!isPositiveNumber(value)) {
    throw new PicomOptionsError(OPTION_MESSAGES.optionNotPositive(key, describeOption(value)));
  }
  return value;
}

function integer(
  options: PicomOptions,
  key: 'retries' | 'gracePeriod' | 'handlerTimeout' | 'maxConcurrency' | 'maxQueued' | 'maxHeaderBytes' | 'maxHeaderCount',
  fallback: number,
  min: number,
): number {
  const value = options[key];
  if (value === undefined) {
    return fallback;
  }
  if (!isIntegerFrom(value, min)) {
    throw new PicomOptionsError(OPTION_MESSAGES.optionNotInteger(key, describeOption(value), min));
  }
  return value;
}

function onUnlessFalse(options: PicomOptions, key: 'discovery' | 'tracing'): boolean {
  const value = options[key];
  if (value === undefined) {
    return true;
  }
  if (typeof value !== 'boolean') {
    throw new PicomOptionsError(OPTION_MESSAGES.optionNotBoolean(key, describeOption(value)));
  }
  return value;
}

// Once per process: the option is harmless, and one line says so.
function warnPortOnce(): void {
  if (!portWarned) {
    portWarned = true;
    process.emitWarning(OPTION_MESSAGES.portIgnored, { code: 'PICOM_PORT_IGNORED' });
  }
}
