import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PicomModule } from 'picom/nest';
import { CalcController } from './calc.controller.js';
import { CalcService } from './calc.service.js';
import { PicomExceptionFilter } from './picom-exception.filter.js';

@Module({
  imports: [
    // Provides PicomClient; it closes on application shutdown.
    PicomModule.register({ servers: process.env['PICOM_SERVERS'], timeout: 5_000 }),
  ],
  controllers: [CalcController],
  providers: [CalcService, { provide: APP_FILTER, useClass: PicomExceptionFilter }],
})
export class AppModule {}
