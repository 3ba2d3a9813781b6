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
  DEFAULT_SERVERS,
  DEFAULT_TIMEOUT,
  DEFAULT_TTL,
  DEFAULT_VERSION,
  DISCOVERY_MESSAGES,
  FOREIGN_OPTION_HINTS,
  MAX_CONNECTION_NAME_BYTES,
  MAX_INBOX_PREFIX_BYTES,
  MAX_PINGS_OUT,
  MAX_SERVICE_NAME_BYTES,
  MESSAGES,
  SEMVER_PATTERN,
  SERVERS_ENV,
} from '../constants.js';
import { kindOf } from '../errors/describe-value.js';
import { PicomOptionsError } from '../errors/index.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import { bytesOver, isValidSubjectPrefix } from '../protocol/subject.rules.js';
import type {
  PicomConnectionOptions,
  PicomOptions,
  PicomServeOptions,
} from '../interfaces/picom-options.interface.js';
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

/** A server address split into where to connect and the credentials written in it. */
export interface ParsedServer {
  server: string;
  user?: string;
  pass?: string;
  token?: string;
}

/**
 * Which endpoint the options are for: `'picom'` (plain `Picom`), `'server'`
 * (`PicomServer`, which adds `service`) or `'client'` (`PicomClient`, which
 * serves nothing and so takes connection options only).
 */
export type PicomEndpointKind = 'picom' | 'server' | 'client';

// Typed as records over the interfaces' keys so that an option added to an
// interface and not here (or the reverse) fails to compile.
const CONNECTION_KEYS: Readonly<Record<keyof PicomConnectionOptions, true>> = Object.freeze({
  servers: true,
  timeout: true,
  retries: true,
  connectTimeout: true,
  maxHeaderBytes: true,
  maxHeaderCount: true,
  ttl: true,
  port: true,
  token: true,
  user: true,
  pass: true,
  authenticator: true,
  tls: true,
  inboxPrefix: true,
  name: true,
  tracing: true,
  logger: true,
});
const SERVE_KEYS: Readonly<Record<keyof PicomServeOptions, true>> = Object.freeze({
  gracePeriod: true,
  handlerTimeout: true,
  maxConcurrency: true,
  maxQueued: true,
  discovery: true,
  version: true,
  description: true,
  metadata: true,
});
const VALID_KEYS: Readonly<Record<PicomEndpointKind, readonly string[]>> = Object.freeze({
  picom: Object.freeze([...Object.keys(CONNECTION_KEYS), ...Object.keys(SERVE_KEYS)]),
  server: Object.freeze(['service', ...Object.keys(CONNECTION_KEYS), ...Object.keys(SERVE_KEYS)]),
  client: Object.freeze(Object.keys(CONNECTION_KEYS)),
});
const ENDPOINT_NAMES: Readonly<Record<PicomEndpointKind, string>> = Object.freeze({
  picom: 'Picom',
  server: 'PicomServer',
  client: 'PicomClient',
});

const INVALID_SERVICE_CHARS = /[.*>\s]/;
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
let portWarned = false;

/**
 * Checks a service name: one NATS token, since it becomes the subject prefix
 * and the queue group, of at most `MAX_SERVICE_NAME_BYTES` UTF-8 bytes.
 */
export function validateServiceName(service: unknown): string {
  if (typeof service !== 'string' || service.length === 0) {
    throw new PicomOptionsError(MESSAGES.serviceNameNotString(describe(service)));
  }
  if (INVALID_SERVICE_CHARS.test(service)) {
    throw new PicomOptionsError(MESSAGES.serviceNameNotToken(service));
  }
  const bytes = bytesOver(service, MAX_SERVICE_NAME_BYTES);
  if (bytes !== undefined) {
    throw new PicomOptionsError(MESSAGES.serviceNameTooLong(service, bytes, MAX_SERVICE_NAME_BYTES));
  }
  return service;
}

/**
 * Checks the `inboxPrefix` option: a subject prefix (nats.js would only fail
 * on it at the first call, with its own error) of at most
 * `MAX_INBOX_PREFIX_BYTES` UTF-8 bytes.
 */
function validateInboxPrefix(prefix: string): string {
  if (!isValidSubjectPrefix(prefix)) {
    throw new PicomOptionsError(MESSAGES.inboxPrefixInvalid(prefix));
  }
  const bytes = bytesOver(prefix, MAX_INBOX_PREFIX_BYTES);
  if (bytes !== undefined) {
    throw new PicomOptionsError(MESSAGES.inboxPrefixTooLong(prefix, bytes, MAX_INBOX_PREFIX_BYTES));
  }
  return prefix;
}

/**
 * Checks the connection name as the CONNECT line carries it: JSON-escaped, so
 * that a name of quotes or control characters is counted at its real size.
 */
function validateConnectionName(name: string): string {
  const bytes = Buffer.byteLength(JSON.stringify(name), 'utf8') - 2;
  if (bytes > MAX_CONNECTION_NAME_BYTES) {
    throw new PicomOptionsError(MESSAGES.connectionNameTooLong(name, bytes, MAX_CONNECTION_NAME_BYTES));
  }
  return name;
}

/**
 * Splits `nats://user:pass@host:4222` or `nats://token@host:4222` into the
 * address and its credentials; the NATS client does not read them from URLs.
 * Only `nats://`, `tls://` and scheme-less `host[:port]` are accepted.
 *
 * @param where where the address was written (`"servers"[1]`), for the error
 * @throws {PicomOptionsError} naming the address with its credentials masked
 */
export function parseServer(input: string, where?: string): ParsedServer {
  // Errors name the address, never its credentials.
  const entry = MESSAGES.serverEntry(maskCredentials(input), where);
  const scheme = SCHEME.exec(input)?.[1]?.toLowerCase();
  if (scheme === 'ws' || scheme === 'wss') {
    // transport-node's connect() refuses these too, but only once a first call connects.
    throw new PicomOptionsError(MESSAGES.serverWebSocket(entry));
  }
  if (scheme !== undefined && scheme !== 'nats' && scheme !== 'tls') {
    // nats.js would strip any scheme and dial plain TCP, so http:// would "work" by accident.
    throw new PicomOptionsError(MESSAGES.serverScheme(entry, `${scheme}:`));
  }
  let url: URL;
  try {
    url = new URL(scheme === undefined ? `nats://${input}` : input);
  } catch {
    throw new PicomOptionsError(MESSAGES.serverUnparsable(entry));
  }
  if (!url.host) {
    throw new PicomOptionsError(MESSAGES.serverWithoutHost(entry));
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    throw new PicomOptionsError(MESSAGES.serverPath(entry));
  }
  const server = `${url.protocol}//${url.host}`;
  const user = url.username ? decodeCredential(url.username, entry) : undefined;
  const pass = url.password ? decodeCredential(url.password, entry) : undefined;
  if (user !== undefined && pass === undefined) {
    return { server, token: user };
  }
  return user === undefined ? { server } : { server, user, pass };
}

/**
 * Validates the timeout of one call: `undefined` means `fallback` (the
 * endpoint's timeout); anything else must be a finite number of ms above 0.
 *
 * @throws {PicomOptionsError} naming the value
 */
export function callTimeout(value: unknown, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PicomOptionsError(MESSAGES.callTimeout(describe(value)));
  }
  return value;
}

/**
 * Applies defaults and validates every option in one place; invalid options
 * throw a `PicomOptionsError` naming the option. Keys that are not options of
 * `endpoint` are refused, whatever their value: a typo is a typo.
 */
export function resolvePicomOptions(
  options: PicomOptions = {},
  clientName = 'picom',
  defaultLogger: PicomLogger = SILENT_LOGGER,
  endpoint: PicomEndpointKind = 'picom',
): ResolvedPicomOptions {
  requireOptionsObject(options);
  refuseUnknownKeys(options, endpoint);
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
  const logger = options.logger === undefined ? defaultLogger : resolveLogger(options.logger);
  const discovery = resolveBoolean(options, 'discovery');
  const tracing = resolveBoolean(options, 'tracing');
  const version = resolveVersion(options.version);
  const metadata = resolveMetadata(options.metadata);
  if (options.port !== undefined) {
    if (typeof options.port !== 'number') {
      throw new PicomOptionsError(MESSAGES.optionNotNumber('port', describe(options.port)));
    }
    warnPortOnce();
  }
  for (const key of ['token', 'user', 'pass', 'inboxPrefix', 'name', 'description'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string') {
      throw new PicomOptionsError(MESSAGES.optionNotString(key));
    }
  }

  const parsed = resolveServers(options.servers);
  const fromUrl = parsed.find((p) => p.user !== undefined || p.token !== undefined);
  const connection: ConnectionOptions = {
    servers: parsed.map((p) => p.server),
    name: validateConnectionName(options.name ?? clientName),
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
  if (options.inboxPrefix !== undefined) connection.inboxPrefix = validateInboxPrefix(options.inboxPrefix);

  return {
    servers: connection.servers as string[],
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
    connection,
  };
}

function decodeCredential(value: string, entry: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new PicomOptionsError(MESSAGES.serverPercentEncoding(entry));
  }
}

/** Options must be an object: a string or number would silently mean "all defaults". */
export function requireOptionsObject(options: unknown): asserts options is object {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new PicomOptionsError(MESSAGES.invalidOptions(describe(options)));
  }
}

function refuseUnknownKeys(options: object, endpoint: PicomEndpointKind): void {
  const valid = VALID_KEYS[endpoint];
  const refused = Object.keys(options).filter((key) => !valid.includes(key));
  const [first, ...others] = refused;
  if (first === undefined) {
    return;
  }
  const message = refusal(first, endpoint, valid);
  throw new PicomOptionsError(others.length === 0 ? message : message + MESSAGES.alsoRefused(others));
}

function refusal(key: string, endpoint: PicomEndpointKind, valid: readonly string[]): string {
  if (endpoint === 'client' && Object.hasOwn(SERVE_KEYS, key)) {
    return MESSAGES.serveOptionOnClient(key);
  }
  if (key === 'service') {
    return endpoint === 'client' ? MESSAGES.serviceOnClient : MESSAGES.serviceOnPicom;
  }
  const hint = Object.hasOwn(FOREIGN_OPTION_HINTS, key) ? FOREIGN_OPTION_HINTS[key] : undefined;
  if (hint !== undefined) {
    return MESSAGES.foreignOption(key, ENDPOINT_NAMES[endpoint], hint);
  }
  return MESSAGES.unknownOption(key, ENDPOINT_NAMES[endpoint], closest(key, valid), valid);
}

// The valid key a typo most likely meant: within 1 edit for short keys (more
// would suggest unrelated words), 2 for longer ones; on a tie, the one sharing
// more letters (`tsl` is `tls`, not `ttl`).
function closest(key: string, valid: readonly string[]): string | undefined {
  const typed = key.toLowerCase();
  const limit = typed.length < 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  let bestShared = 0;
  for (const candidate of valid) {
    const lower = candidate.toLowerCase();
    const distance = editDistance(typed, lower, limit);
    const shared = distance <= limit ? sharedLetters(typed, lower) : 0;
    if (distance < bestDistance || (distance === bestDistance && shared > bestShared)) {
      best = candidate;
      bestDistance = distance;
      bestShared = shared;
    }
  }
  return best;
}

function sharedLetters(a: string, b: string): number {
  const left = [...b];
  let shared = 0;
  for (const letter of a) {
    const index = left.indexOf(letter);
    if (index !== -1) {
      left.splice(index, 1);
      shared++;
    }
  }
  return shared;
}

// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`; a
// swap counts as one edit because transposed letters are the commonest typo.
// Anything past `limit` is reported as `limit + 1`.
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) {
    return limit + 1;
  }
  // Three rows suffice: a swap looks two rows back.
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, beforePrevious[j - 2]! + 1);
      }
      current.push(value);
    }
    beforePrevious = previous;
    previous = current;
  }
  return Math.min(previous[b.length]!, limit + 1);
}

// `servers` when given, else PICOM_SERVERS when set, else the default: read at
// each resolve so that tests and launchers may set it after import.
function resolveServers(servers: unknown): ParsedServer[] {
  if (servers !== undefined) {
    return serverList(servers, 'option "servers"', '"servers"');
  }
  const fromEnv = process.env[SERVERS_ENV];
  // An empty variable is how shells and compose files spell "unset".
  if (fromEnv !== undefined && fromEnv !== '') {
    return serverList(fromEnv, SERVERS_ENV, SERVERS_ENV, MESSAGES.fromEnvironment);
  }
  return DEFAULT_SERVERS.map((server) => parseServer(server));
}

// A refused entry is named by `name` and, in a list, its index: with several
// servers, the address alone may not say which one was meant.
function serverList(servers: unknown, source: string, name: string, suffix = ''): ParsedServer[] {
  const list = typeof servers === 'string' ? servers.split(',').map((s) => s.trim()) : servers;
  if (!Array.isArray(list) || list.length === 0) {
    throw new PicomOptionsError(MESSAGES.invalidServerList(source, describe(servers)));
  }
  return list.map((entry: unknown, index) => {
    const where = (list.length === 1 && !Array.isArray(servers) ? name : `${name}[${index}]`) + suffix;
    if (typeof entry !== 'string' || entry.length === 0) {
      throw new PicomOptionsError(MESSAGES.invalidServerEntry(where, describe(entry)));
    }
    return parseServer(entry, where);
  });
}

// Masks everything between the scheme and the last "@": an unparsable address
// may hold a password with an unencoded "@", "/" or "#", none of which may leak.
function maskCredentials(input: string): string {
  const at = input.lastIndexOf('@');
  if (at === -1) {
    return input;
  }
  const scheme = SCHEME.exec(input);
  const start = scheme && scheme[0].length <= at ? scheme[0].length : 0;
  return `${input.slice(0, start)}***${input.slice(at)}`;
}

function positiveNumber(options: PicomOptions, key: 'timeout' | 'ttl' | 'connectTimeout', fallback: number): number {
  const value = options[key];
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PicomOptionsError(MESSAGES.optionNotPositive(key, describe(value)));
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
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new PicomOptionsError(MESSAGES.optionNotInteger(key, describe(value), min));
  }
  return value;
}

/** An option that is on unless set to `false`. */
function resolveBoolean(options: PicomOptions, key: 'discovery' | 'tracing'): boolean {
  const value = options[key];
  if (value === undefined) {
    return true;
  }
  if (typeof value !== 'boolean') {
    throw new PicomOptionsError(DISCOVERY_MESSAGES.optionNotBoolean(key, describe(value)));
  }
  return value;
}

/** SemVer as semver.org writes it: the micro protocol's schemas refuse anything else. */
export function resolveVersion(value: unknown): string {
  if (value === undefined) {
    return DEFAULT_VERSION;
  }
  if (typeof value !== 'string' || !SEMVER_PATTERN.test(value)) {
    throw new PicomOptionsError(DISCOVERY_MESSAGES.versionInvalid(describe(value)));
  }
  return value;
}

/** A frozen copy: a later change to the caller's object does not change what discovery reports. */
export function resolveMetadata(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) {
    return Object.freeze({});
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PicomOptionsError(DISCOVERY_MESSAGES.metadataInvalid(describe(value)));
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new PicomOptionsError(DISCOVERY_MESSAGES.metadataInvalid(describe(value)));
  }
  const copy: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new PicomOptionsError(DISCOVERY_MESSAGES.metadataValueNotString(key, kindOf(entry)));
    }
    // defineProperty: a "__proto__" key stays a key, as JSON has it.
    Object.defineProperty(copy, key, { value: entry, enumerable: true, writable: true, configurable: true });
  }
  return Object.freeze(copy);
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
    throw new PicomOptionsError(MESSAGES.invalidLogger);
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
  if (Array.isArray(value) && value.length === 0) return '[]';
  return `of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

