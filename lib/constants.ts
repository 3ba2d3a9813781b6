import { quote } from './errors/describe-value.js';
import { CONTROL_LINE } from './protocol/constants.js';

/**
 * Picom's public contract, in one place so that the core, the Nest layer, the
 * docs and the tests agree on it: documented defaults (`DEFAULT_*`), limits
 * (`MAX_*`) and the texts that travel on the wire (`WIRE_MESSAGES`). Every
 * other text and tunable lives beside the module that uses it.
 */

export const DEFAULT_SERVERS: readonly string[] = ['127.0.0.1:4222'];
/** Environment variable read for `servers` when the option is absent (comma-separated). */
export const SERVERS_ENV = 'PICOM_SERVERS';
/** Per-call request timeout in milliseconds: the original Picom's, so that its callers keep their timeouts. */
export const DEFAULT_TIMEOUT = 30_000;
/**
 * Reconnect attempts per server before giving up: for ever, because a service
 * that gives up after a few seconds of broker outage serves nobody (the
 * original Picom documents 3 but never applied it, so no deployment relies on 3).
 */
export const DEFAULT_RETRIES = -1;
/** How long the first connect may take before it fails, in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT = 5_000;
/** How long a handler may run before its caller is answered with an error and its slot freed, in ms; 0 turns it off. */
export const DEFAULT_HANDLER_TIMEOUT = 60_000;
/** Seconds of silence after which the broker connection counts as dead: the original Picom's `ttl`, with the same meaning. */
export const DEFAULT_TTL = 30;
/** How long `close()` waits for in-flight handlers, in milliseconds. */
export const DEFAULT_GRACE_PERIOD = 10_000;
/** Pings that may go unanswered before the connection is declared stale. */
export const MAX_PINGS_OUT = 2;
/**
 * Bounds on a received message's header block, checked before anything parses
 * it (nats.js' header parser is quadratic in the number of keys). Room for
 * tracing, baggage and a few dozen application headers.
 */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
export const DEFAULT_MAX_HEADER_COUNT = 100;
/**
 * Characters of a reply token, the last token of a reply subject: 64 random
 * bits in base64url. A peer that sees one reply subject must not be able to
 * guess the others, so tokens are random rather than a counter.
 */
export const REPLY_TOKEN_LENGTH = 11;
/** Tokens drawn from one `crypto.randomFillSync` call: one call per this many requests. */
export const REPLY_TOKENS_PER_FILL = 512;
/** Default bound on messages waiting for a handler slot when `maxConcurrency` is set. */
export const DEFAULT_MAX_QUEUED = 10_000;
/**
 * Longest reply subject, in UTF-8 bytes, a service publishes to. The caller
 * chooses it; nats-server closes a connection whose `PUB <reply> <size>` line
 * exceeds its control line (4 KiB by default, and a caller may sit on a server
 * that allows more), so one hostile request could otherwise take the whole
 * service off the broker. Real inboxes are a few dozen bytes.
 */
export const MAX_REPLY_SUBJECT_BYTES = 1024;
/**
 * Bounds on names and subjects, in UTF-8 bytes (what NATS counts), so that
 * every protocol line Picom sends fits in nats-server's control line
 * (`max_control_line`, 4096 bytes by default). A longer line makes the server
 * close the connection that sent it, and with it every call in flight on it.
 *
 * The longest line is a request with headers,
 * `HPUB <subject> <reply> <header bytes> <total bytes>\r\n`, where the reply
 * subject is `<inboxPrefix>.<22-character nuid>.<token>`:
 * 5 + 1024 + 1 + (256 + 1 + 22 + 1 + a token under 32) + 1 + 10 + 1 + 10 + 2,
 * under 1400 bytes: a third of the default, which leaves room for servers
 * configured lower. The `CONNECT {…}` line carries the connection name (at most
 * 512 bytes) beside about 300 bytes of fixed fields and the credentials.
 */
export const MAX_SUBJECT_BYTES = 1024;
/**
 * A service name is the first token of its subjects, twice in its subscription
 * (`SUB <service>.> <service> <sid>`) and in its default connection name
 * (`picom:<service>`); with a method name it makes at most 513 of the 1024
 * bytes of a subject, so that every method a service exposes can be called.
 */
export const MAX_SERVICE_NAME_BYTES = 256;
/** A method name (a `@MessagePattern`, a key of `expose()`). */
export const MAX_METHOD_NAME_BYTES = 256;
/** The `inboxPrefix` option: the reply subjects of a caller are this, a nuid and a token. */
export const MAX_INBOX_PREFIX_BYTES = 256;
/** The `name` option, counted as it is written into the CONNECT line (JSON-escaped). */
export const MAX_CONNECTION_NAME_BYTES = 512;

/** Texts that travel on the wire; existing Picom peers produce and expect exactly these. */
export const WIRE_MESSAGES = {
  BAD_JSON_REQUEST: 'Bad JSON request',
  BAD_JSON_RESPONSE: 'Bad JSON response',
  methodNotFound: (method: string) => `Method not found ${JSON.stringify(method)}`,
  timedOut: (subject: string) => `Request ${subject} timed out`,
} as const;

/** The status NATS puts in the header of a no-responders reply. */
export const NO_RESPONDERS_STATUS = 503;

const WIRE_FORMAT_FIXED =
  'Picom\'s wire format is fixed JSON envelopes ({"payload":…} or {"error":"…"}), so that old Picom processes understand every message';
const AUTHENTICATOR_INSTEAD =
  'use "token", "user" and "pass", or "authenticator" with nkeyAuthenticator(), jwtAuthenticator(), credsAuthenticator() or tokenAuthenticator() from @nats-io/transport-node';
const RECONNECT_PACING =
  'Picom keeps nats.js\'s reconnect pacing (2 s between attempts on one server, plus jitter); "retries" bounds the attempts';
const PINGS_FROM_TTL =
  'use "ttl", the seconds within which a dead connection is detected: Picom derives the pings from it';
const INSIDE_TLS = 'it belongs inside the "tls" option: { tls: { caFile, certFile, keyFile } }';
const NEST_CONFIG =
  'Picom\'s Nest classes are custom transports: pass { strategy: new PicomServer(options) } to createMicroservice(), or { customClass: PicomClient, options } to ClientsModule.register()';
const MODULE_ONLY = 'it is an option of PicomModule.register(), not of the endpoint';
const NOT_EXPOSED = 'Picom does not expose this nats.js setting';

/**
 * Why an option of Nest's `Transport.NATS` or of nats.js `connect()` is refused,
 * and what Picom offers instead. One frozen table: the resolver only reads it.
 */
export const FOREIGN_OPTION_HINTS: Readonly<Record<string, string>> = Object.freeze({
  serializer: WIRE_FORMAT_FIXED,
  deserializer: WIRE_FORMAT_FIXED,
  encoding: WIRE_FORMAT_FIXED,
  preserveBuffers: WIRE_FORMAT_FIXED,
  queue: 'the queue group is always the service name, so that every instance of a service (old Picom processes included) shares its requests',
  headers:
    'headers are set per call: PicomRecordBuilder.setHeaders() with PicomClient, or request(subject, message, { headers }) with Picom',
  url: 'use "servers" (a string, a comma-separated string or an array)',
  maxReconnectAttempts: 'use "retries": reconnect attempts per server, -1 for ever',
  reconnect: 'use "retries": 0 never reconnects',
  reconnectTimeWait: RECONNECT_PACING,
  reconnectJitter: RECONNECT_PACING,
  reconnectJitterTLS: RECONNECT_PACING,
  reconnectDelayHandler: RECONNECT_PACING,
  pingInterval: PINGS_FROM_TTL,
  maxPingOut: PINGS_FROM_TTL,
  gracefulShutdown:
    'Picom always drains the connection on close(); on a serving endpoint "gracePeriod" bounds how long in-flight handlers may take',
  waitOnFirstConnect:
    'the first connect fails after "connectTimeout" milliseconds; once connected, outages are retried as "retries" says',
  nkey: AUTHENTICATOR_INSTEAD,
  userJWT: AUTHENTICATOR_INSTEAD,
  nonceSigner: AUTHENTICATOR_INSTEAD,
  userCreds: AUTHENTICATOR_INSTEAD,
  tokenHandler: AUTHENTICATOR_INSTEAD,
  useOldRequestStyle: 'Picom always receives replies on one inbox subscription per connection',
  noEcho: 'Picom needs its own messages back: an endpoint may call a service it serves itself',
  debug: `${NOT_EXPOSED}; pass a "logger" to see what Picom reports`,
  verbose: `${NOT_EXPOSED}; pass a "logger" to see what Picom reports`,
  pedantic: `${NOT_EXPOSED}; pass a "logger" to see what Picom reports`,
  noRandomize: `${NOT_EXPOSED}: servers are tried in random order, which spreads endpoints over a cluster`,
  noAsyncTraces: `${NOT_EXPOSED}: Picom always turns async traces off and raises its own errors`,
  ignoreClusterUpdates: NOT_EXPOSED,
  ignoreAuthErrorAbort: NOT_EXPOSED,
  resolve: NOT_EXPOSED,
  reconnectToServer: NOT_EXPOSED,
  yieldTime: NOT_EXPOSED,
  caFile: INSIDE_TLS,
  certFile: INSIDE_TLS,
  keyFile: INSIDE_TLS,
  ca: INSIDE_TLS,
  cert: INSIDE_TLS,
  key: INSIDE_TLS,
  handshakeFirst: INSIDE_TLS,
  transport: NEST_CONFIG,
  strategy: NEST_CONFIG,
  customClass: NEST_CONFIG,
  options: 'pass the options themselves, not wrapped in { options }',
  clientName: MODULE_ONLY,
  isGlobal: MODULE_ONLY,
});

/** Texts of errors raised locally (never sent by old peers, so free to be precise). */
export const MESSAGES = {
  // Endpoint lifecycle
  connectPending: (subject: string, timeout: number) =>
    `Not connected to NATS within the ${timeout} ms timeout of the call to ${subject}: the first connect is still under way`,
  lostServing: (reason: string, service: string) =>
    `Picom: ${reason}. Service ${service} no longer receives requests; this process will end with exit code 1 unless something else keeps it running. Restart it, or let it reconnect for ever with retries: -1 (the default)`,
  lostCalling: (reason: string) =>
    `Picom: ${reason}. The next call dials NATS again; retries: -1 (the default) reconnects for ever`,
  /** `value` is already described safely. */
  headersNotRecord: (subject: string, value: string) =>
    `Invalid headers ${value} for ${subject}: expected an object of header names to strings or arrays of strings; nothing was sent`,
  /** `name` is the header name, already quoted and shortened. */
  headerNotString: (subject: string, name: string, kind: string) =>
    `Invalid header ${name} for ${subject}: its value is ${kind}, expected a string or an array of strings; nothing was sent`,
  headerNameEmpty: (subject: string) => `Invalid header for ${subject}: a header name cannot be empty; nothing was sent`,
  invalidHeader: (subject: string, name: string, reason: string) =>
    `Invalid header ${name} for ${subject}: ${reason}; names are printable ASCII without spaces or ":", values have no CR or LF; nothing was sent`,
  replyHeadersOverLimit: (overflow: string) => `its header block is over the limit, ${overflow}; it was not parsed`,
  disconnected: (subject: string) =>
    `Not sent to ${subject}: the NATS connection is down and reconnecting (nats.js would drop the message on its next dial)`,
  notConnected: 'Not connected: call listen()/connect() first',
  inboxDenied: (subject: string) =>
    `NATS permissions violation: this connection's user may not subscribe to its reply inbox ${JSON.stringify(subject)}; allow it or set the "inboxPrefix" option to a prefix the user may subscribe to`,
  portIgnored:
    'The "port" option belongs to the TCP edition of Picom; a NATS service listens on no port, so it is ignored',
  invalidOptions: (value: string) => `Invalid options ${value}: expected an object`,
  serviceNameNotString: (value: string) => `Invalid service name ${value}: expected a non-empty string`,
  serviceNameNotToken: (name: string) =>
    `Invalid service name ${quote(name)}: it must be one NATS token, without ".", "*", ">" or spaces`,
  serviceNameTooLong: (name: string, bytes: number, limit: number) =>
    `Invalid service name ${quote(name)}: ${bytes} bytes, over the ${limit}-byte limit on a service name (UTF-8), ${CONTROL_LINE}`,
  inboxPrefixInvalid: (prefix: string) =>
    `Invalid option "inboxPrefix" ${quote(prefix)}: expected a subject prefix such as "_INBOX" or "_INBOX.alice": tokens joined by ".", none empty, without "*", ">" or whitespace`,
  inboxPrefixTooLong: (prefix: string, bytes: number, limit: number) =>
    `Invalid option "inboxPrefix" ${quote(prefix)}: ${bytes} bytes, over the ${limit}-byte limit (UTF-8), ${CONTROL_LINE}`,
  connectionNameTooLong: (name: string, bytes: number, limit: number) =>
    `Invalid option "name" ${quote(name)}: ${bytes} bytes as written in the NATS CONNECT line (UTF-8, JSON-escaped), over the ${limit}-byte limit, ${CONTROL_LINE}`,
  optionNotString: (key: string) => `Invalid option "${key}": expected a string`,
  optionNotNumber: (key: string, value: string) => `Invalid option "${key}" ${value}: expected a number`,
  optionNotPositive: (key: string, value: string) => `Invalid option "${key}" ${value}: expected a positive number`,
  optionNotInteger: (key: string, value: string, min: number) =>
    `Invalid option "${key}" ${value}: expected an integer >= ${min}`,
  invalidLogger: 'Invalid option "logger": expected an object with error(), warn() and log()',
  callTimeout: (value: string) => `Invalid timeout ${value} for this call: expected a positive number of milliseconds`,
  /** `source` is `"servers"` or the environment variable; `value` is already described safely. */
  invalidServerList: (source: string, value: string) =>
    `Invalid ${source} ${value}: expected a non-empty string or array of strings`,
  invalidServerEntry: (where: string, value: string) => `Invalid server address ${value} in ${where}: expected a non-empty string`,
  /** Names an address (its credentials already masked) and where it was written. */
  serverEntry: (address: string, where?: string) =>
    where === undefined ? JSON.stringify(address) : `${JSON.stringify(address)} in ${where}`,
  fromEnvironment: ' (environment variable)',
  /** `entry` comes from `serverEntry`. */
  serverUnparsable: (entry: string) =>
    `Invalid server address ${entry}: expected "host", "host:port", "nats://[credentials@]host:port" or "tls://[credentials@]host:port"`,
  serverWithoutHost: (entry: string) => `Invalid server address ${entry}: it names no host`,
  serverScheme: (entry: string, scheme: string) =>
    `Invalid server address ${entry}: ${scheme}// is not a NATS scheme; use nats://, tls:// or plain host:port`,
  serverWebSocket: (entry: string) =>
    `Invalid server address ${entry}: Picom's Node transport speaks TCP (nats://, tls://); WebSocket needs wsconnect() from @nats-io/nats-core, which Picom does not use`,
  serverPath: (entry: string) =>
    `Invalid server address ${entry}: a NATS address has no path, query or fragment; expected "host:port"`,
  serverPercentEncoding: (entry: string) =>
    `Invalid server address ${entry}: malformed percent-encoding in its credentials (write "%" as "%25")`,
  unknownOption: (key: string, endpoint: string, suggestion: string | undefined, valid: readonly string[]) =>
    suggestion === undefined
      ? `Unknown option ${JSON.stringify(key)} for ${endpoint}; valid options: ${valid.join(', ')}`
      : `Unknown option ${JSON.stringify(key)} for ${endpoint}: did you mean ${JSON.stringify(suggestion)}?`,
  foreignOption: (key: string, endpoint: string, hint: string) =>
    `Option ${JSON.stringify(key)} does not apply to ${endpoint}: ${hint}`,
  serveOptionOnClient: (key: string) =>
    `Option ${JSON.stringify(key)} does not apply to PicomClient: it applies to serving endpoints (Picom, PicomServer)`,
  serviceOnPicom: 'Option "service" does not apply to Picom: the service name is the first argument, new Picom(name, options)',
  serviceOnClient:
    'Option "service" does not apply to PicomClient: a client serves nothing; name the service in each pattern, send("service.method", data)',
  alsoRefused: (keys: readonly string[]) => `; also refused: ${keys.map((k) => JSON.stringify(k)).join(', ')}`,
} as const;

/** Lines the core logs (never on the wire). */
export const LOG_MESSAGES = {
  inboxFailed: (reason: string) => `Picom: reply inbox failed: ${reason}`,
  replyCallbackThrew: (subject: string, reason: string) => `Picom: reply callback for ${subject} threw: ${reason}`,
} as const;

// Discovery: the NATS micro protocol (ADR-32).

/** How long a discovery request collects answers from instances, in milliseconds. */
export const DEFAULT_DISCOVERY_WAIT = 1_000;
/** The version a serving endpoint reports when the `version` option is left out (SemVer). */
export const DEFAULT_VERSION = '0.0.0';
/** The description a serving endpoint reports when the `description` option is left out. */
export const DEFAULT_DESCRIPTION = '';
/** The official SemVer 2.0.0 regular expression (semver.org), which the micro protocol's schemas use. */
export const SEMVER_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
/** Characters of an error text kept in `last_error`: a STATS document never grows with what callers send. */
export const MAX_LAST_ERROR_CHARS = 256;

// A name from a JavaScript caller may be any value: strings are quoted (and shortened), the rest named by type.
const quoteAny = (value: unknown): string => (typeof value === 'string' ? quote(value) : `of type ${value === null ? 'null' : typeof value}`);

/** Texts of discovery: serving options and log lines, and `PicomDiscovery`'s errors and the reasons it gives `onIgnored`. */
export const DISCOVERY_MESSAGES = {
  versionInvalid: (value: string) =>
    `Invalid option "version" ${value}: expected a SemVer version such as "1.2.3" (semver.org), as the NATS micro protocol requires`,
  metadataInvalid: (value: string) => `Invalid option "metadata" ${value}: expected a plain object of string values`,
  metadataValueNotString: (key: string, kind: string) =>
    `Invalid option "metadata": the value of ${JSON.stringify(key)} is ${kind}, expected a string`,
  optionNotBoolean: (key: string, value: string) => `Invalid option "${key}" ${value}: expected true or false`,
  nameNotListed: (service: string) =>
    `Picom: service ${quote(service)} serves, but is not listed by discovery ($SRV.PING|INFO|STATS): ` +
    'the NATS micro protocol allows only letters, digits, "_" and "-" in a service name; set discovery: false to silence this line',
  // PicomDiscovery (the client side)
  invalidTimeout: (value: string) => `Invalid discovery timeout ${value}: expected a positive number of milliseconds`,
  invalidMax: (value: string) => `Invalid discovery max ${value}: expected a positive integer`,
  idWithoutService: 'A discovery request for one instance id needs its service name',
  invalidService: (service: unknown) =>
    `Invalid service name ${quoteAny(service)}: expected one NATS token without spaces, dots or wildcards`,
  invalidId: (id: unknown) => `Invalid instance id ${quoteAny(id)}: expected one NATS token`,
  notJson: 'not JSON',
  notObject: 'not a JSON object',
  wrongType: (found: unknown, expected: string) => `type ${JSON.stringify(found) ?? 'undefined'} instead of ${expected}`,
  noIdentity: 'no string name and id',
} as const;
