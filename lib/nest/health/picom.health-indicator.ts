import type { NatsConnection } from '@nats-io/transport-node';
import { Injectable, type BeforeApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { PicomStatus } from '../../connection/picom-status.js';
import { PicomDiscovery, discoverySubject } from '../../discovery/picom.discovery.js';
import { describeError } from '../../errors/describe-value.js';
import { PicomConnectionErrorCode, PicomOptionsError } from '../../errors/index.js';
import { isIntegerFrom, isPositiveNumber } from '../../options/option.validators.js';
import { PicomClient } from '../client/picom.client.js';
import {
  DEFAULT_HEALTH_TIMEOUT,
  DEFAULT_MIN_INSTANCES,
  HEALTH_MESSAGES,
  PicomHealthReason,
} from '../constants.js';
import type {
  PicomHealthCheckOptions,
  PicomHealthDetails,
  PicomHealthIndicatorResult,
  PicomServiceHealthOptions,
} from '../interfaces/picom-health-options.interface.js';

/** The connection to check, or why there is none. */
type Reached = { nc: NatsConnection; down?: undefined } | { down: PicomHealthDetails };

/** How a bounded wait ended; `undefined` when the time ran out first. */
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown } | undefined;

/**
 * Health checks of the `PicomModule` client's NATS connection and of the
 * services behind it, for `@nestjs/terminus` 11 and 12. It returns results of
 * terminus' own shape (`{ [key]: { status: 'up' | 'down', ...details } }`),
 * which terminus counts as down (503) when `status` is `down`; so `picom/nest`
 * loads nothing of terminus, and apps without it pay nothing.
 *
 * Down results carry `reason` (a `PicomHealthReason`: `disconnected`,
 * `closed: reconnects exhausted`, `too few instances`...) and `message`.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [TerminusModule, PicomModule.register({ servers: ['127.0.0.1:4222'] })],
 *   controllers: [HealthController],
 *   providers: [PicomHealthIndicator],
 * })
 * export class AppModule {}
 *
 * @Controller('health')
 * export class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly picom: PicomHealthIndicator) {}
 *
 *   @Get()
 *   @HealthCheck()
 *   check() {
 *     return this.health.check([
 *       () => this.picom.isHealthy('nats'),
 *       () => this.picom.isServiceAvailable('service1', 'service1', { minInstances: 2 }),
 *     ]);
 *   }
 * }
 * ```
 *
 * @publicApi
 */
@Injectable()
export class PicomHealthIndicator implements OnModuleDestroy, BeforeApplicationShutdown {
  /** The client's latest status; `undefined` until it first connects. */
  private status: PicomStatus | undefined;
  /** Why the connection closed on its own (reconnects ran out); cleared once connected again. */
  private lost: Error | undefined;
  /** Closed by `close()`, or the application is shutting down: a probe must not dial again then. */
  private stopped = false;
  private readonly subscription: Subscription;

  constructor(private readonly client: PicomClient) {
    this.subscription = client.status.subscribe((status) => {
      this.status = status;
      if (status === PicomStatus.CONNECTED) {
        this.lost = undefined;
        this.stopped = false;
      }
    });
    client.on('close', (err) => {
      if (err === undefined) {
        this.stopped = true;
      } else {
        this.lost = err;
      }
    });
  }

  /**
   * Up when connected and a round trip to the server completes within the
   * timeout: `{ status: 'up', rtt, server }` (`rtt` in ms, `server` as
   * `host:port`). Connects the client first when it has not yet (lazily
   * connecting clients), and dials again once reconnects ran out, as a call would.
   *
   * @throws {PicomOptionsError} when the timeout is invalid
   */
  async isHealthy<Key extends string>(key: Key, options: PicomHealthCheckOptions = {}): Promise<PicomHealthIndicatorResult<Key>> {
    const timeout = checkTimeout(options.timeout);
    const deadline = performance.now() + timeout;
    const reached = await this.reach(timeout, deadline);
    if (reached.down) {
      return result(key, reached.down);
    }
    const { nc } = reached;
    const rtt = await within(nc.rtt(), deadline - performance.now());
    if (rtt === undefined) {
      return result(key, down(PicomHealthReason.TIMEOUT, HEALTH_MESSAGES.rttTimedOut(timeout)));
    }
    if (!rtt.ok) {
      // Lost in between: say so as the status does, else what nats.js said.
      return result(key, this.downNow() ?? down(PicomHealthReason.DISCONNECTED, describeError(rtt.error)));
    }
    return result(key, { status: 'up', rtt: rtt.value, server: nc.getServer() });
  }

  /**
   * Up when at least `minInstances` instances of `service` answer
   * `$SRV.PING.<service>` within the timeout (NATS micro protocol: Picom
   * services and any other micro service answer it): `{ status: 'up',
   * instances, ids, versions }`. The check stops as soon as `minInstances`
   * answered, so `instances` counts at most that many. Connection problems
   * are reported as by `isHealthy()`.
   *
   * @throws {PicomOptionsError} when the service name, timeout or minInstances is invalid
   */
  async isServiceAvailable<Key extends string>(
    key: Key,
    service: string,
    options: PicomServiceHealthOptions = {},
  ): Promise<PicomHealthIndicatorResult<Key>> {
    const timeout = checkTimeout(options.timeout);
    const minInstances = checkMinInstances(options.minInstances);
    // A wrong name is the caller's bug, not the service's health: throw it.
    discoverySubject('PING', service);
    const deadline = performance.now() + timeout;
    const reached = await this.reach(timeout, deadline);
    if (reached.down) {
      return result(key, reached.down);
    }
    const wait = Math.floor(deadline - performance.now());
    if (wait < 1) {
      return result(key, down(PicomHealthReason.TIMEOUT, HEALTH_MESSAGES.connectPending(timeout)));
    }
    let replies: Awaited<ReturnType<PicomDiscovery['ping']>>;
    try {
      replies = await new PicomDiscovery(reached.nc).ping(service, { timeout: wait, max: minInstances });
    } catch (err) {
      return result(key, this.downNow() ?? down(PicomHealthReason.REQUEST_FAILED, describeError(err)));
    }
    const instances = replies.length;
    const ids = replies.map((reply) => reply.document.id);
    if (instances >= minInstances) {
      const versions = [...new Set(replies.map((reply) => reply.document.version).filter((v) => typeof v === 'string'))];
      return result(key, { status: 'up', instances, ids, versions });
    }
    const details = this.downNow() ?? down(PicomHealthReason.TOO_FEW_INSTANCES, HEALTH_MESSAGES.tooFewInstances(service, instances, minInstances, timeout));
    return result(key, { ...details, instances, minInstances, ids });
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }

  /** The open connection, connecting first when the status says it may; or why not. */
  private async reach(timeout: number, deadline: number): Promise<Reached> {
    const downNow = this.downNow();
    if (downNow) {
      return { down: downNow };
    }
    if (this.status === PicomStatus.CONNECTED) {
      try {
        return { nc: this.client.unwrap<NatsConnection>() };
      } catch {
        // closed this very moment: dial as below
      }
    }
    if (this.stopped) {
      return { down: down(PicomHealthReason.CLOSED, HEALTH_MESSAGES.closed) };
    }
    const lost = this.lost;
    const attempt: Settled<NatsConnection> = await within(this.client.connect(), deadline - performance.now());
    if (attempt?.ok) {
      return { nc: attempt.value };
    }
    if (lost !== undefined) {
      const code = (lost as { code?: unknown }).code;
      const reason = code === PicomConnectionErrorCode.AUTHORIZATION ? PicomHealthReason.AUTHORIZATION_LOST : PicomHealthReason.RECONNECTS_EXHAUSTED;
      const message =
        attempt === undefined
          ? HEALTH_MESSAGES.redialPending(lost.message, timeout)
          : HEALTH_MESSAGES.redialFailed(lost.message, describeError(attempt.error));
      return { down: down(reason, message) };
    }
    if (attempt === undefined) {
      return { down: down(PicomHealthReason.TIMEOUT, HEALTH_MESSAGES.connectPending(timeout)) };
    }
    return { down: down(PicomHealthReason.CONNECT_FAILED, describeError(attempt.error)) };
  }

  /** Down at once when the client is between connections: nats.js is reconnecting. */
  private downNow(): PicomHealthDetails | undefined {
    if (this.status === PicomStatus.DISCONNECTED) {
      return down(PicomHealthReason.DISCONNECTED, HEALTH_MESSAGES.disconnected);
    }
    if (this.status === PicomStatus.RECONNECTING) {
      return down(PicomHealthReason.RECONNECTING, HEALTH_MESSAGES.disconnected);
    }
    return undefined;
  }
}

function result<Key extends string>(key: Key, details: PicomHealthDetails): PicomHealthIndicatorResult<Key> {
  return { [key]: details } as PicomHealthIndicatorResult<Key>;
}

function down(reason: PicomHealthReason, message: string): PicomHealthDetails {
  return { status: 'down', reason, message };
}

/** Settles with `promise`, or with `undefined` after `ms`; never rejects. */
function within<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ ok: true, value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ ok: false, error });
      },
    );
  });
}

function checkTimeout(timeout: number | undefined): number {
  if (timeout === undefined) {
    return DEFAULT_HEALTH_TIMEOUT;
  }
  if (!isPositiveNumber(timeout)) {
    throw new PicomOptionsError(HEALTH_MESSAGES.invalidTimeout(String(timeout)));
  }
  return timeout;
}

function checkMinInstances(minInstances: number | undefined): number {
  if (minInstances === undefined) {
    return DEFAULT_MIN_INSTANCES;
  }
  if (!isIntegerFrom(minInstances, 1)) {
    throw new PicomOptionsError(HEALTH_MESSAGES.invalidMinInstances(String(minInstances)));
  }
  return minInstances;
}
