/**
 * `picom/nest`: the Nest transport (server strategy, client proxy, context,
 * record builder, module). Nest packages and rxjs are peer dependencies of
 * this entry only.
 */
export { PicomServer } from './server/picom.server.js';
export { PicomClient } from './client/picom.client.js';
export { PicomContext } from './ctx-host/picom.context.js';
export { PicomRecord, PicomRecordBuilder } from './record-builders/picom.record-builder.js';
export { PicomModule } from './module/picom.module.js';
export { PICOM_TRANSPORT, PICOM_MODULE_OPTIONS } from './constants.js';
export { encodeRpcError } from './errors/rpc-error.encoder.js';
export { PicomExceptionFilter, type PicomHttpErrorBody, type PicomHttpErrorResponse } from './filters/index.js';
export type { PicomClientOptions, PicomServerOptions } from './interfaces/picom-nest-options.interface.js';
export type {
  PicomModuleAsyncOptions,
  PicomModuleOptions,
  PicomOptionsFactory,
} from './interfaces/picom-module-options.interface.js';
export { PicomStatus, PicomEvent, type PicomEventsMap } from '../connection/picom-status.js';
export { PicomHealthIndicator } from './health/picom.health-indicator.js';
export { PicomHealthReason, DEFAULT_HEALTH_TIMEOUT, DEFAULT_MIN_INSTANCES } from './constants.js';
export type {
  PicomHealthCheckOptions,
  PicomServiceHealthOptions,
  PicomHealthIndicatorResult,
  PicomHealthDetails,
} from './interfaces/picom-health-options.interface.js';
