/**
 * Defaults and user-facing message texts, kept in one place so that the core,
 * the Nest layer, the docs and the tests agree on them.
 */

export const DEFAULT_SERVERS: readonly string[] = ['127.0.0.1:4222'];
/** Per-call request timeout in milliseconds (seed default). */
export const DEFAULT_TIMEOUT = 30_000;
/**
 * Reconnect attempts per server before giving up: for ever. The seed documents
 * 3, but its implementation never applied it, and a service that gives up
 * after a few seconds of broker outage serves nobody.
 */
export const DEFAULT_RETRIES = -1;
/** How long the first connect may take before it fails, in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT = 5_000;
/** How long a handler may run before its caller is answered with an error and its slot freed, in ms; 0 turns it off. */
export const DEFAULT_HANDLER_TIMEOUT = 60_000;
/** Seconds of silence after which the broker connection counts as dead (seed default). */
export const DEFAULT_TTL = 30;
/** How long `close()` waits for in-flight handlers, in milliseconds. */
export const DEFAULT_GRACE_PERIOD = 10_000;
/** Pings that may go unanswered before the connection is declared stale. */
export const MAX_PINGS_OUT = 2;
/** Resolution of the single deadline sweeper shared by all pending calls. */
export const DEADLINE_TICK_MS = 20;
/** Default bound on messages waiting for a handler slot when `maxConcurrency` is set. */
export const DEFAULT_MAX_QUEUED = 10_000;

/** Texts that travel on the wire; existing Picom peers produce and expect exactly these. */
export const WIRE_MESSAGES = {
  BAD_JSON_REQUEST: 'Bad JSON request',
  BAD_JSON_RESPONSE: 'Bad JSON response',
  methodNotFound: (method: string) => `Method not found ${JSON.stringify(method)}`,
  timedOut: (subject: string) => `Request ${subject} timed out`,
} as const;

/** Texts of errors raised locally (never sent by old peers, so free to be precise). */
export const MESSAGES = {
  noResponders: (subject: string) =>
    `No service is listening on ${subject} (NATS no responders)`,
  invalidSubject: (subject: string) =>
    `Invalid Picom subject ${JSON.stringify(subject)}: expected "<service>.<method>", two non-empty tokens without spaces or wildcards`,
  invalidPattern: (pattern: string) =>
    `Invalid Picom pattern ${JSON.stringify(pattern)}: a handler pattern must be one method name, without ".", "*", ">" or spaces`,
  payloadTooLarge: (subject: string, size: number, limit: number) =>
    `Message to ${subject} is ${size} bytes, larger than the server's max_payload of ${limit} bytes`,
  replyTooLarge: (size: number, limit: number) =>
    `Reply is ${size} bytes, larger than the server's max_payload of ${limit} bytes`,
  unserializable: (what: string, reason: string) => `Cannot encode ${what} as JSON: ${reason}`,
  busy: (service: string) => `Service ${service} is overloaded: too many requests waiting`,
  shuttingDown: (service: string) =>
    `Service ${service} is shutting down: the request was not started within the grace period`,
  gracePeriodOver: (service: string, gracePeriod: number) =>
    `Service ${service} is shutting down: the request did not finish within the ${gracePeriod} ms grace period`,
  handlerTimedOut: (subject: string, handlerTimeout: number) =>
    `Handler for ${subject} did not finish within ${handlerTimeout} ms`,
  closed: 'Picom connection closed',
  connectionLost: 'NATS connection closed: reconnect attempts exhausted',
  disconnected: (subject: string) =>
    `Not sent to ${subject}: the NATS connection is down and reconnecting (nats.js would drop the message on its next dial)`,
  notConnected: 'Not connected: call listen()/connect() first',
  authorization: (server: string) =>
    `NATS authorization failed at ${server}: check the credentials (token, user/password, NKey or TLS certificate)`,
  authorizationLost: (server: string) =>
    `NATS connection closed: authorization failed at ${server} while reconnecting; check the credentials (token, user/password, NKey or TLS certificate)`,
  permissionDenied: (operation: 'publish' | 'subscribe', subject: string, queue?: string) =>
    operation === 'publish'
      ? `NATS permissions violation: this connection's user may not publish to ${JSON.stringify(subject)}`
      : `NATS permissions violation: this connection's user may not subscribe to ${JSON.stringify(subject)}${queue ? ` in queue group ${JSON.stringify(queue)}` : ''}`,
  inboxDenied: (subject: string) =>
    `NATS permissions violation: this connection's user may not subscribe to its reply inbox ${JSON.stringify(subject)}; allow it or set the "inboxPrefix" option to a prefix the user may subscribe to`,
  connectFailed: (servers: string, reason: string) =>
    `Cannot connect to NATS at ${servers}: ${reason}`,
  portIgnored:
    'The "port" option belongs to the TCP edition of Picom; a NATS service listens on no port, so it is ignored',
} as const;
