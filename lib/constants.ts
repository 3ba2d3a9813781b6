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
/** Least time between two wake-ups of a deadline timer: deadlines closer than this are expired together. */
export const DEADLINE_TICK_MS = 20;
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
 * At most one log line per this many ms for each kind of message a service
 * drops (a flood of them must not become a flood of lines); each line says how
 * many were dropped since the previous one.
 */
export const DROP_LOG_INTERVAL_MS = 5_000;

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
  replyTooLarge: (size: number, limit: number) =>
    `Reply is ${size} bytes, larger than the server's max_payload of ${limit} bytes`,
  /** `value` is already described safely. */
  headersNotRecord: (subject: string, value: string) =>
    `Invalid headers ${value} for ${subject}: expected an object of header names to strings or arrays of strings; nothing was sent`,
  /** `name` is the header name, already quoted and shortened. */
  headerNotString: (subject: string, name: string, kind: string) =>
    `Invalid header ${name} for ${subject}: its value is ${kind}, expected a string or an array of strings; nothing was sent`,
  headerNameEmpty: (subject: string) => `Invalid header for ${subject}: a header name cannot be empty; nothing was sent`,
  invalidHeader: (subject: string, name: string, reason: string) =>
    `Invalid header ${name} for ${subject}: ${reason}; names are printable ASCII without spaces or ":", values have no CR or LF; nothing was sent`,
  errorNotString: (kind: string) =>
    `its "error" field is ${kind}, not a string (the value is on this error's "raw" property)`,
  replyHeadersOverLimit: (overflow: string) => `its header block is over the limit, ${overflow}; it was not parsed`,
  busy: (service: string) => `Service ${service} is overloaded: too many requests waiting`,
  /** `overflow` comes from `headerOverflow()` and names the option that was exceeded. */
  headersRefused: (subject: string, overflow: string) =>
    `Request to ${subject} refused without reading its headers: ${overflow}`,
  shuttingDown: (service: string) =>
    `Service ${service} is shutting down: the request was not started within the grace period`,
  gracePeriodOver: (service: string, gracePeriod: number) =>
    `Service ${service} is shutting down: the request did not finish within the ${gracePeriod} ms grace period`,
  handlerTimedOut: (subject: string, handlerTimeout: number) =>
    `Handler for ${subject} did not finish within ${handlerTimeout} ms`,
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
  queueDropped: (count: number, service: string) =>
    `Picom: ${count} queued requests to ${service} dropped: the NATS connection is closed`,
  subscriptionFailed: (service: string, reason: string) => `Picom: subscription to ${service}.> failed: ${reason}`,
  publishTimedOut: (text: string) => `Picom: ${text} on a publish; its slot is freed and its result will be dropped`,
  publishFailed: (subject: string, reason: string) => `Picom: handler for ${subject} failed on a publish: ${reason}`,
  publishesDropped: (count: number, service: string, maxQueued: number, total: number) =>
    `Picom: ${count} publishes to ${service} dropped: ${maxQueued} messages were already waiting for a handler slot (maxQueued); ${total} dropped since start`,
  headersRefused: (count: number, service: string, latest: string, total: number) =>
    `Picom: ${count} messages to ${service} refused without reading their headers (requests answered with an error, publishes dropped); latest: ${latest}; ${total} refused since start`,
  replySubjectTooLong: (count: number, service: string, bytes: number, limit: number, total: number) =>
    `Picom: ${count} replies of ${service} not sent: the latest reply subject was ${bytes} bytes, longer than the ${limit} allowed (MAX_REPLY_SUBJECT_BYTES), ` +
    `which could exceed nats-server's control line and close this service's connection; ${total} not sent since start`,
  queuedPublishesDropped: (count: number, service: string) =>
    `Picom: ${count} queued publishes to ${service} dropped: not started within the grace period`,
  gracePeriodEnded: (gracePeriod: number, service: string, running: number, answered: number, publishes: number) =>
    `Picom: the ${gracePeriod} ms grace period of ${service} ended with ${running} handlers still running: ` +
    `${answered} requests answered with an error${publishes > 0 ? `, ${publishes} publishes abandoned` : ''}; their results will be dropped`,
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
/** What the micro protocol allows as a service or endpoint name. */
export const MICRO_NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
/**
 * The STATS entry that counts what never reached a handler (unknown methods,
 * refused headers, overload): one entry, whatever callers send.
 */
export const MICRO_REFUSED_ENDPOINT = '_refused';
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
  /** `last_error` of the refused bucket for a publish dropped because the queue was full. */
  publishDropped: (service: string) => `Publish to ${service} dropped: too many messages waiting`,
  /** `last_error` of the refused bucket for a publish refused for its header block. */
  publishHeadersRefused: (subject: string, overflow: string) => `Publish to ${quote(subject)} refused without reading its headers: ${overflow}`,
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

// ---------------------------------------------------------------------------
// Tracing and metrics (OpenTelemetry). Names follow the OpenTelemetry
// semantic conventions v1.45.0 (RPC: stable; messaging: development), copied
// here as the semconv package advises instead of importing its incubating entry.
// ---------------------------------------------------------------------------

/** Instrumentation scope of the tracer and the meter. */
export const TELEMETRY_SCOPE = 'picom';
/**
 * While no OpenTelemetry SDK is registered, Picom looks for one every this
 * many calls and handled messages (a counter; the look is a property read on
 * `globalThis`): an SDK registered after the endpoints connected is traced
 * from at most this many calls later. Register it first, as usual.
 */
export const TELEMETRY_RECHECK_CALLS = 256;
/** The semantic conventions version the names below follow, for docs and tests. */
export const TELEMETRY_SEMCONV_VERSION = '1.45.0';
/** Span and metric attribute names. */
export const TELEMETRY_ATTRIBUTES = {
  RPC_SYSTEM_NAME: 'rpc.system.name',
  RPC_METHOD: 'rpc.method',
  RPC_METHOD_ORIGINAL: 'rpc.method_original',
  ERROR_TYPE: 'error.type',
  MESSAGING_SYSTEM: 'messaging.system',
  MESSAGING_DESTINATION_NAME: 'messaging.destination.name',
  MESSAGING_OPERATION_NAME: 'messaging.operation.name',
  MESSAGING_OPERATION_TYPE: 'messaging.operation.type',
  MESSAGING_CONSUMER_GROUP_NAME: 'messaging.consumer.group.name',
  MESSAGING_MESSAGE_BODY_SIZE: 'messaging.message.body.size',
  /** The Picom service (the subject's first token): `rpc.service` is deprecated in favour of a fully qualified `rpc.method`. */
  PICOM_SERVICE: 'picom.service',
  /** How a call ended, one of `TELEMETRY_OUTCOMES`. */
  PICOM_OUTCOME: 'picom.outcome',
} as const;
/** Values of fixed attributes. */
export const TELEMETRY_VALUES = {
  RPC_SYSTEM: 'picom',
  MESSAGING_SYSTEM: 'nats',
  /** A method (or subject) that is not one a route table knows, or that failed as a subject: one value for all (semconv's `_OTHER`). */
  OTHER: '_OTHER',
  OPERATION_PUBLISH: 'publish',
  OPERATION_PROCESS: 'process',
  OPERATION_TYPE_SEND: 'send',
  OPERATION_TYPE_PROCESS: 'process',
} as const;
/** `picom.outcome` values: a fixed set, so metrics stay bounded. */
export const TELEMETRY_OUTCOMES = {
  OK: 'ok',
  /** The remote handler failed (an error envelope). */
  ERROR: 'error',
  TIMEOUT: 'timeout',
  NO_RESPONDERS: 'no_responders',
  /** Nothing usable came back or nothing was sent: connection down, refused subject or headers, bad reply. */
  FAILED: 'failed',
} as const;
/** Metric instrument names, units and descriptions. */
export const TELEMETRY_METRICS = {
  CLIENT_DURATION: 'rpc.client.call.duration',
  SERVER_DURATION: 'rpc.server.call.duration',
  PROCESS_DURATION: 'messaging.process.duration',
  CLIENT_SENT: 'messaging.client.sent.messages',
  CLIENT_ACTIVE: 'picom.client.active_calls',
  SERVER_ACTIVE: 'picom.server.active_calls',
  DURATION_UNIT: 's',
  CALL_UNIT: '{call}',
  MESSAGE_UNIT: '{message}',
  /** The buckets semconv recommends for RPC and messaging durations, in seconds. */
  DURATION_BUCKETS: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  descriptions: {
    clientDuration: 'Duration of Picom requests, from send to reply, error, timeout or no responders',
    serverDuration: 'Duration of handled Picom requests, from dispatch to reply',
    processDuration: 'Duration of handled Picom publishes',
    clientSent: 'Picom publishes sent',
    clientActive: 'Picom requests waiting for their outcome',
    serverActive: 'Picom requests and publishes being handled',
  },
} as const;
/** `error.type` of failures that have no error class of their own on the serving side. */
export const TELEMETRY_ERROR_TYPES = {
  HANDLER_TIMEOUT: 'handler_timeout',
  UNKNOWN_METHOD: 'unknown_method',
  BAD_REQUEST: 'bad_request',
  /** The reply could not be sent as the handler gave it (not serializable, over max_payload): an error went instead. */
  REPLY_NOT_SENT: 'reply_not_sent',
  /** The grace period of `close()` ended while the handler ran. */
  SHUTDOWN: 'shutdown',
  /** A handler threw something that is not an `Error`. */
  OTHER: '_OTHER',
} as const;
/** Span names of publishes: `{messaging.operation.name} {destination}`. */
export const TELEMETRY_SPAN_NAMES = {
  publish: (subject: string) => `publish ${subject}`,
  process: (subject: string) => `process ${subject}`,
} as const;
