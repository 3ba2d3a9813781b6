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
export {
  DEFAULT_GRACE_PERIOD,
  DEFAULT_RETRIES,
  DEFAULT_SERVERS,
  DEFAULT_TIMEOUT,
  DEFAULT_TTL,
  WIRE_MESSAGES,
} from './constants.js';
export {
  BAD_REQUEST,
  decodeReply,
  decodeRequest,
  encodeError,
  encodeFailure,
  encodeRequest,
  encodeSuccess,
  errorText,
  isValidSubject,
  isValidToken,
} from './protocol/index.js';
export { parseServer, resolvePicomOptions, validateServiceName } from './options/picom-options.resolver.js';
