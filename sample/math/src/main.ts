// First: with PICOM_DEMO_TRACE=1, an OpenTelemetry SDK is registered before any Picom endpoint exists.
import '../../tracing/register-tracing.js';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { PicomServer } from 'picom/nest';
import { AppModule } from './app.module.js';
import { INSTANCE_ID } from './math.controller.js';

/**
 * The `math` sample: a Nest microservice serving Picom service `service1`.
 *
 *   PICOM_SERVERS  NATS servers, comma-separated (default 127.0.0.1:4222)
 *   INSTANCE_ID    name this instance gives in `whoami` (default math-<pid>)
 *   PICOM_DEMO_TRACE=1  trace: spans printed as `otel-span` lines (see sample/tracing)
 */
const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
  // No `servers`: every Picom endpoint reads PICOM_SERVERS, else 127.0.0.1:4222.
  strategy: new PicomServer({ service: 'service1', version: '1.0.0', description: 'Nest maths (sample/math)' }),
});
// SIGTERM / SIGINT: stop taking requests, let in-flight ones reply, close NATS.
app.enableShutdownHooks();
await app.listen();
new Logger('Main').log(`service1 ready: instance ${INSTANCE_ID}, pid ${process.pid}`);
