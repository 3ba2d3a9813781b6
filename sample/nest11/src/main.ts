import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { PicomServer } from 'picom/nest';
import { AppModule } from './app.module';
import { INSTANCE_ID, NEST_VERSION } from './service3.controller';

/**
 * The `nest11` sample: a Nest 11 microservice compiled to CommonJS, serving
 * Picom service `service3` and calling `service1` (the Nest 12 `math` sample)
 * on the same NATS.
 *
 *   PICOM_SERVERS  NATS servers, comma-separated (default 127.0.0.1:4222)
 *   INSTANCE_ID    name this instance gives in `whoami` (default nest11-<pid>)
 */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
    // No `servers`: every Picom endpoint reads PICOM_SERVERS, else 127.0.0.1:4222.
    strategy: new PicomServer({ service: 'service3', version: '1.0.0', description: 'Nest 11, CommonJS (sample/nest11)' }),
  });
  // SIGTERM / SIGINT: stop taking requests, let in-flight ones reply, close NATS.
  app.enableShutdownHooks();
  await app.listen();
  new Logger('Main').log(`service3 ready: instance ${INSTANCE_ID}, Nest ${NEST_VERSION}, pid ${process.pid}`);
}

bootstrap().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
