import { quote } from '../errors/describe-value.js';
import { CONTROL_LINE } from '../protocol/constants.js';

/** Environment variable read for `servers` when the option is absent (comma-separated). */
export const SERVERS_ENV = 'PICOM_SERVERS';
/** The official SemVer 2.0.0 regular expression (semver.org), which the micro protocol's schemas use. */
export const SEMVER_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

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

/** Texts of the errors and warnings an invalid or misplaced option gets. */
export const OPTION_MESSAGES = {
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
  optionNotBoolean: (key: string, value: string) => `Invalid option "${key}" ${value}: expected true or false`,
  versionInvalid: (value: string) =>
    `Invalid option "version" ${value}: expected a SemVer version such as "1.2.3" (semver.org), as the NATS micro protocol requires`,
  metadataInvalid: (value: string) => `Invalid option "metadata" ${value}: expected a plain object of string values`,
  metadataValueNotString: (key: string, kind: string) =>
    `Invalid option "metadata": the value of ${JSON.stringify(key)} is ${kind}, expected a string`,
} as const;
