import { Module } from '@nestjs/common';
import { PicomModule } from 'picom/nest';
import { Service3Controller } from './service3.controller';

@Module({
  // Provides PicomClient, for the calls to service1; it closes on application shutdown.
  imports: [PicomModule.register({ timeout: 5_000 })],
  controllers: [Service3Controller],
})
export class AppModule {}
