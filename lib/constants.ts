/**
 * Picom's public contract, in one place so that the core, the Nest layer, the
 * docs and the tests agree on it: documented defaults (`DEFAULT_*`), limits
 * (`MAX_*`) and the texts that travel on the wire (`WIRE_MESSAGES`). Every
 * other text and tunable lives beside the module that uses it.
 */

export const DEFAULT_SERVERS: readonly string[] = ['127.0.0.1:4222'];
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

/** How long a discovery request collects answers from instances, in milliseconds. */
export const DEFAULT_DISCOVERY_WAIT = 1_000;
/** The version a serving endpoint reports when the `version` option is left out (SemVer). */
export const DEFAULT_VERSION = '0.0.0';
/** The description a serving endpoint reports when the `description` option is left out. */
export const DEFAULT_DESCRIPTION = '';
/** Characters of an error text kept in `last_error`: a STATS document never grows with what callers send. */
export const MAX_LAST_ERROR_CHARS = 256;
