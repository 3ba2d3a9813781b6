import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { PicomHealthIndicator, PicomModule } from 'picom/nest';
import { CalcExceptionFilter } from './calc-exception.filter.js';
import { CalcController } from './calc.controller.js';
import { CalcService } from './calc.service.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [
    // Provides PicomClient; it closes on application shutdown.
    // No `servers`: every Picom endpoint reads PICOM_SERVERS, else 127.0.0.1:4222.
    PicomModule.register({ timeout: 5_000 }),
    // HealthCheckService for GET /health; PicomHealthIndicator checks through the client above.
    TerminusModule,
  ],
  controllers: [CalcController, HealthController],
  providers: [CalcService, PicomHealthIndicator, { provide: APP_FILTER, useClass: CalcExceptionFilter }],
})
export class AppModule {}
