import type { PicomHealthReason } from '../constants.js';

/**
 * Options of `PicomHealthIndicator.isHealthy()`.
 *
 * @publicApi
 */
export interface PicomHealthCheckOptions {
  /**
   * How long the whole check may take, connecting included, in milliseconds.
   * @default 1000
   */
  timeout?: number;
}

/**
 * Options of `PicomHealthIndicator.isServiceAvailable()`.
 *
 * @publicApi
 */
export interface PicomServiceHealthOptions extends PicomHealthCheckOptions {
  /**
   * How many instances must answer `$SRV.PING.<service>`. The check stops as
   * soon as this many have answered, so a healthy service answers fast.
   * @default 1
   */
  minInstances?: number;
}

/**
 * One health indicator result, in the shape `@nestjs/terminus` 11 and 12
 * expect (`HealthIndicatorResult`): `{ [key]: { status, ...details } }`.
 * Down results carry `reason` (a `PicomHealthReason`) and `message`.
 *
 * @publicApi
 */
export type PicomHealthIndicatorResult<Key extends string = string> = Record<Key, PicomHealthDetails>;

/**
 * The details of one result.
 *
 * @publicApi
 */
export type PicomHealthDetails =
  | ({ status: 'up' } & Record<string, unknown>)
  | ({ status: 'down'; reason: PicomHealthReason; message: string } & Record<string, unknown>);
