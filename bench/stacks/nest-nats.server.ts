import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { add, SUBJECT, type AddReply, type AddRequest } from '../workload.js';
import type { BenchServer } from './types.js';

/** Stack 3, server: a Nest app on Nest's built-in NATS transport. */
@Controller()
class NatsBenchController {
  // The same `async` handler as the Picom Nest stack, so that both transports settle the same promise.
  @MessagePattern(SUBJECT)
  async add(message: AddRequest): Promise<AddReply> {
    return add(message);
  }
}

@Module({ controllers: [NatsBenchController] })
class NatsBenchModule {}

export async function startServer(url: string): Promise<BenchServer> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(NatsBenchModule, {
    transport: Transport.NATS,
    options: { servers: [url] },
    logger: false,
  });
  await app.listen();
  return { close: () => app.close() };
}
