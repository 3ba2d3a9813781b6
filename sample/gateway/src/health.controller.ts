import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { PicomHealthIndicator } from 'picom/nest';

/**
 * `GET /health` → 200 `{"status":"ok",...}` when the gateway's NATS connection
 * answers a round trip and at least one `service1` instance (the `math`
 * sample) answers `$SRV.PING.service1`; otherwise 503 with the `reason` of
 * each check that is down (`disconnected`, `too few instances`...).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly picom: PicomHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.picom.isHealthy('nats'), () => this.picom.isServiceAvailable('service1', 'service1')]);
  }
}
