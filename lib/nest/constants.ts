/**
 * Identifies Picom among Nest transports: `@MessagePattern('add', PICOM_TRANSPORT)`
 * binds a handler to Picom only when an app runs several transports.
 *
 * @publicApi
 */
export const PICOM_TRANSPORT: unique symbol = Symbol.for('picom.transport');

/** Injection token of the options given to `PicomModule`. */
export const PICOM_MODULE_OPTIONS = 'PICOM_MODULE_OPTIONS';

export const NEST_MESSAGES = {
  serverNotListening:
    'Not initialized. Please call the "listen"/"startAllMicroservices" method before accessing the server.',
  clientNotConnected: 'Not initialized. Please call the "connect" method first.',
  unsupportedNest:
    'picom/nest needs NestJS 11.0.0 or later (@nestjs/microservices ^11 or ^12): this @nestjs/microservices has no Server#status. Upgrade @nestjs/common, @nestjs/core and @nestjs/microservices together.',
  invalidMessage: 'The pattern and data of a message must not be null or undefined',
  asyncOptionsMissing: 'PicomModule.registerAsync() needs one of useFactory, useClass or useExisting',
  // Bodies of PicomExceptionFilter's HTTP answers: they reach the HTTP caller, so
  // they name the subject at most, never servers, credentials or causes.
  httpTimedOut: (subject: string, timeout: number) => `${subject} did not answer within ${timeout} ms`,
  httpNoResponders: (subject: string) => `No service is available to answer ${subject}`,
  httpUnavailable: 'The service is unavailable; try again later',
  httpPayloadTooLarge: (subject: string) => `The request to ${subject} is larger than the services accept`,
  httpBadResponse: (subject: string) => `${subject} answered with an invalid reply`,
  httpInternalError: 'Internal server error',
  /** Reason phrase of a status Node has no name for (RFC 9110 names the classes). */
  httpReason: (status: number) => (status < 500 ? 'Client Error' : 'Server Error'),
  filterWithoutAdapter:
    'PicomExceptionFilter has no HTTP adapter: register it with APP_FILTER, with useGlobalFilters(new PicomExceptionFilter(httpAdapter)), or with @UseFilters(PicomExceptionFilter) (the class, not an instance)',
} as const;

// Health (PicomHealthIndicator, for @nestjs/terminus).

/** How long one health check may take, connecting included, in milliseconds. */
export const DEFAULT_HEALTH_TIMEOUT = 1_000;
/** How many instances of a service must answer for it to be available. */
export const DEFAULT_MIN_INSTANCES = 1;

/**
 * Why a health check is down: the `reason` detail of a down result, one of a
 * fixed set so that a probe or an alert can match on it (`message` says more).
 *
 * @publicApi
 */
export const PicomHealthReason = {
  /** Lost the server; nats.js is about to reconnect. */
  DISCONNECTED: 'disconnected',
  /** Lost the server; nats.js is dialling again. */
  RECONNECTING: 'reconnecting',
  /** The client was closed by `close()` (application shutdown). */
  CLOSED: 'closed',
  /** Reconnect attempts (`retries`) ran out, and dialling again failed. */
  RECONNECTS_EXHAUSTED: 'closed: reconnects exhausted',
  /** The server refused the credentials while reconnecting, and dialling again failed. */
  AUTHORIZATION_LOST: 'closed: authorization failed',
  /** The first connection could not be made. */
  CONNECT_FAILED: 'connect failed',
  /** No connection, round trip or answers within the check's timeout. */
  TIMEOUT: 'timeout',
  /** The discovery request failed (a permissions violation, say). */
  REQUEST_FAILED: 'request failed',
  /** Fewer instances answered than `minInstances`. */
  TOO_FEW_INSTANCES: 'too few instances',
} as const;
export type PicomHealthReason = (typeof PicomHealthReason)[keyof typeof PicomHealthReason];

/**
 * The `message` details of down health results. They reach whoever may read
 * `/health`: server addresses at most, never credentials.
 */
export const HEALTH_MESSAGES = {
  disconnected: 'The NATS connection is down; reconnecting',
  closed: 'The Picom client is closed',
  redialFailed: (lost: string, reason: string) => `${lost}; dialling again failed: ${reason}`,
  redialPending: (lost: string, timeout: number) => `${lost}; not connected again within ${timeout} ms`,
  connectPending: (timeout: number) => `Not connected to NATS within ${timeout} ms`,
  rttTimedOut: (timeout: number) => `No round trip to the NATS server within ${timeout} ms`,
  tooFewInstances: (service: string, instances: number, minInstances: number, timeout: number) =>
    `${instances} instance${instances === 1 ? '' : 's'} of ${service} answered within ${timeout} ms; at least ${minInstances} expected`,
  invalidTimeout: (value: string) => `Invalid health check timeout ${value}: expected a positive number of milliseconds`,
  invalidMinInstances: (value: string) => `Invalid minInstances ${value}: expected a positive integer`,
} as const;
