import type { ConnectionOptions } from '@nats-io/transport-node';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_GRACE_PERIOD,
  DEFAULT_HANDLER_TIMEOUT,
  DEFAULT_MAX_QUEUED,
  DEFAULT_RETRIES,
  DEFAULT_SERVERS,
  DEFAULT_TIMEOUT,
  DEFAULT_TTL,
  MAX_PINGS_OUT,
  MESSAGES,
} from '../constants.js';
import { PicomOptionsError } from '../errors/index.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import type { PicomOptions } from '../interfaces/picom-options.interface.js';
import { SILENT_LOGGER } from './silent.logger.js';

/** Options after defaults, validation and extraction of URL credentials. */
export interface ResolvedPicomOptions {
  /** Server addresses with any credentials removed: safe to log. */
  readonly servers: string[];
  readonly timeout: number;
  readonly retries: number;
  readonly ttl: number;
  /** Bound on the first connect, in ms. */
  readonly connectTimeout: number;
  readonly gracePeriod: number;
  /** Server-side deadline of one handler, in ms; 0 means none. */
  readonly handlerTimeout: number;
  readonly maxConcurrency: number;
  readonly maxQueued: number;
  readonly logger: PicomLogger;
  /** What goes to nats.js `connect()`. */
  readonly connection: ConnectionOptions;
}

/** A server address split into where to connect and the credentials written in it. */
export interface ParsedServer {
  server: string;
  user?: string;
  pass?: string;
  token?: string;
}

const INVALID_SERVICE_CHARS = /[.*>\s]/;
let portWarned = false;

/**
 * Checks a service name: one NATS token, since it becomes the subject prefix
 * and the queue group.
 */
export function validateServiceName(service: unknown): string {
  if (typeof service !== 'string' || service.length === 0) {
    throw new PicomOptionsError(`Invalid service name ${describe(service)}: expected a non-empty string`);
  }
  if (INVALID_SERVICE_CHARS.test(service)) {
    throw new PicomOptionsError(
      `Invalid service name ${JSON.stringify(service)}: it must be one NATS token, without ".", "*", ">" or spaces`,
    );
  }
  return service;
}

/**
 * Splits `nats://user:pass@host:4222` or `nats://token@host:4222` into the
 * address and its credentials; the NATS client does not read them from URLs.
 */
export function parseServer(input: string): ParsedServer {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `nats://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    // Never echo the input: it may carry credentials.
    throw new PicomOptionsError('Invalid server address: expected "host:port" or "nats://[credentials@]host:port"');
  }
  if (!url.host) {
    throw new PicomOptionsError('Invalid server address: it names no host');
  }
  const server = `${url.protocol}//${url.host}`;
  const user = url.username ? decodeCredential(url.username) : undefined;
  const pass = url.password ? decodeCredential(url.password) : undefined;
  if (user !== undefined && pass === undefined) {
    return { server, token: user };
  }
  return user === undefined ? { server } : { server, user, pass };
}

/**
 * Applies defaults and validates every option in one place; invalid options
 * throw a `PicomOptionsError` naming the option.
 */
export function resolvePicomOptions(
  options: PicomOptions = {},
  clientName = 'picom',
  defaultLogger: PicomLogger = SILENT_LOGGER,
): ResolvedPicomOptions {
  requireOptionsObject(options);
  const timeout = positiveNumber(options, 'timeout', DEFAULT_TIMEOUT);
  const retries = integer(options, 'retries', DEFAULT_RETRIES, -1);
  const ttl = positiveNumber(options, 'ttl', DEFAULT_TTL);
  const connectTimeout = positiveNumber(options, 'connectTimeout', DEFAULT_CONNECT_TIMEOUT);
  const gracePeriod = integer(options, 'gracePeriod', DEFAULT_GRACE_PERIOD, 0);
  const handlerTimeout = integer(options, 'handlerTimeout', DEFAULT_HANDLER_TIMEOUT, 0);
  const maxConcurrency = options.maxConcurrency === undefined ? Infinity : integer(options, 'maxConcurrency', 0, 1);
  const maxQueued = integer(options, 'maxQueued', DEFAULT_MAX_QUEUED, 0);
  const logger = options.logger === undefined ? defaultLogger : resolveLogger(options.logger);
  if (options.port !== undefined) {
    if (typeof options.port !== 'number') {
      throw new PicomOptionsError(`Invalid option "port" ${describe(options.port)}: expected a number`);
    }
    warnPortOnce();
  }
  for (const key of ['token', 'user', 'pass', 'inboxPrefix', 'name'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string') {
      throw new PicomOptionsError(`Invalid option "${key}": expected a string`);
    }
  }

  const parsed = serverList(options.servers).map(parseServer);
  const fromUrl = parsed.find((p) => p.user !== undefined || p.token !== undefined);
  const connection: ConnectionOptions = {
    servers: parsed.map((p) => p.server),
    name: options.name ?? clientName,
    maxReconnectAttempts: retries,
    timeout: connectTimeout,
    // Stale after MAX_PINGS_OUT unanswered pings plus one interval: within ttl.
    pingInterval: Math.max(1, Math.floor((ttl * 1000) / (MAX_PINGS_OUT + 1))),
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
  if (options.inboxPrefix !== undefined) connection.inboxPrefix = options.inboxPrefix;

  return {
    servers: connection.servers as string[],
    timeout,
    retries,
    ttl,
    connectTimeout,
    gracePeriod,
    handlerTimeout,
    maxConcurrency,
    maxQueued,
    logger,
    connection,
  };
}

function decodeCredential(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // Never echo the value: it is a secret.
    throw new PicomOptionsError('Invalid server address: malformed percent-encoding in its credentials (write "%" as "%25")');
  }
}

/** Options must be an object: a string or number would silently mean "all defaults". */
export function requireOptionsObject(options: unknown): asserts options is object {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new PicomOptionsError(`Invalid options ${describe(options)}: expected an object`);
  }
}

function serverList(servers: unknown): string[] {
  if (servers === undefined) {
    return [...DEFAULT_SERVERS];
  }
  const list = typeof servers === 'string' ? servers.split(',').map((s) => s.trim()) : servers;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new PicomOptionsError('Invalid option "servers": expected a non-empty string or array of strings');
  }
  return list;
}

function positiveNumber(options: PicomOptions, key: 'timeout' | 'ttl' | 'connectTimeout', fallback: number): number {
  const value = options[key];
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PicomOptionsError(`Invalid option "${key}" ${describe(value)}: expected a positive number`);
  }
  return value;
}

function integer(
  options: PicomOptions,
  key: 'retries' | 'gracePeriod' | 'handlerTimeout' | 'maxConcurrency' | 'maxQueued',
  fallback: number,
  min: number,
): number {
  const value = options[key];
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new PicomOptionsError(`Invalid option "${key}" ${describe(value)}: expected an integer >= ${min}`);
  }
  return value;
}

function resolveLogger(logger: unknown): PicomLogger {
  if (logger === undefined) {
    return SILENT_LOGGER;
  }
  const candidate = logger as Partial<PicomLogger> | null;
  if (
    !candidate ||
    typeof candidate.error !== 'function' ||
    typeof candidate.warn !== 'function' ||
    typeof candidate.log !== 'function'
  ) {
    throw new PicomOptionsError('Invalid option "logger": expected an object with error(), warn() and log()');
  }
  return candidate as PicomLogger;
}

function warnPortOnce(): void {
  if (!portWarned) {
    portWarned = true;
    process.emitWarning(MESSAGES.portIgnored, { code: 'PICOM_PORT_IGNORED' });
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return `of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

/** A per-call timeout: `undefined` means the endpoint's; anything but a positive number is refused. */
export function callTimeout(value: unknown, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PicomOptionsError(`Invalid timeout ${describe(value)} for this call: expected a positive number of milliseconds`);
  }
  return value;
}
