/**
 * `picom`: the framework-free core. Never imports `@nestjs/*`.
 */
export { Picom, type PicomMethod } from './picom.js';
export * from './errors/index.js';
export { PicomStatus, PicomEvent, type PicomEventsMap } from './connection/picom-status.js';
export type { PicomLogger } from './interfaces/picom-logger.interface.js';
export type {
  PicomConnectionOptions,
  PicomOptions,
  PicomRequestOptions,
  PicomServeOptions,
} from './interfaces/picom-options.interface.js';
export type { PicomHeaders } from './requester/picom.requester.js';
/** Documented defaults, for tools and configuration that mirror them. */
export {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_GRACE_PERIOD,
  DEFAULT_HANDLER_TIMEOUT,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADER_COUNT,
  DEFAULT_RETRIES,
  DEFAULT_SERVERS,
  DEFAULT_TIMEOUT,
  DEFAULT_TTL,
  DEFAULT_VERSION,
  WIRE_MESSAGES,
} from './constants.js';
/** Limits on names and subjects, in UTF-8 bytes, within nats-server's control line. */
export {
  MAX_CONNECTION_NAME_BYTES,
  MAX_INBOX_PREFIX_BYTES,
  MAX_METHOD_NAME_BYTES,
  MAX_SERVICE_NAME_BYTES,
  MAX_SUBJECT_BYTES,
} from './constants.js';
/** Subject checks, for tools that take `<service>.<method>` from their users. */
export { isValidSubject, isValidToken } from './protocol/subject.rules.js';
/** Discovery over the NATS micro protocol (`$SRV.PING|INFO|STATS`). */
export { PicomDiscovery, type PicomDiscoveryOptions, type PicomDiscoveryReply } from './discovery/picom.discovery.js';
export type {
  MicroEndpointInfo,
  MicroEndpointStats,
  MicroIdentity,
  MicroInfoResponse,
  MicroPingResponse,
  MicroStatsResponse,
} from './discovery/micro.documents.js';
