import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import { PicomServer, type PicomServerOptions } from 'picom/nest';
import { add, METHOD, never, NEVER_METHOD, SERVICE, type AddReply, type AddRequest } from '../workload.js';
import type { BenchServer } from './types.js';

/** Stack 4, server: a Nest app on `PicomServer`, the same controller as stack 3. */
@Controller()
class PicomBenchController {
  @MessagePattern(METHOD)
  add(message: AddRequest): AddReply {
    return add(message);
  }

  @MessagePattern(NEVER_METHOD)
  never(): Promise<never> {
    return never();
  }
}

@Module({ controllers: [PicomBenchController] })
class PicomBenchModule {}

export function startServer(url: string): Promise<BenchServer> {
  return startNestServer(url, {});
}

/** The Nest server with extra options (the discovery-off and tracing-off variants). */
export async function startNestServer(url: string, extra: Omit<PicomServerOptions, 'service'>): Promise<BenchServer> {
  const app = await NestFactory.createMicroservice(PicomBenchModule, {
    strategy: new PicomServer({ service: SERVICE, servers: [url], gracePeriod: 100, ...extra }),
    logger: false,
  });
  await app.listen();
  return { close: () => app.close() };
}
