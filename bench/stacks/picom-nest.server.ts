import 'reflect-metadata';
import { Controller, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import { PicomServer, type PicomServerOptions } from 'picom/nest';
import { add, METHOD, never, NEVER_METHOD, SERVICE, type AddReply, type AddRequest } from '../workload.js';
import type { BenchServer } from './types.js';

/** Stack 4, server: a Nest app on `PicomServer`, the same controller as stack 3. */
@Controller()
class PicomBenchController {
  // As most handlers are: `async`, because they await something.
  @MessagePattern(METHOD)
  async add(message: AddRequest): Promise<AddReply> {
    return add(message);
  }

  @MessagePattern(NEVER_METHOD)
  never(): Promise<never> {
    return never();
  }
}

/** The same controller with a synchronous `add`: Nest's chain without the handler's own promise. */
@Controller()
class PicomSyncBenchController {
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

@Module({ controllers: [PicomSyncBenchController] })
class PicomSyncBenchModule {}

/** The app modules a Nest stack can run: `async` handlers (the default) or synchronous ones. */
export const NEST_MODULES = { async: PicomBenchModule, sync: PicomSyncBenchModule } as const satisfies Record<string, Type>;

export function startServer(url: string): Promise<BenchServer> {
  return startNestServer(url, {});
}

/** The Nest server with extra options (the discovery-off and tracing-off variants) or another app module. */
export async function startNestServer(
  url: string,
  extra: Omit<PicomServerOptions, 'service'>,
  module: Type = NEST_MODULES.async,
): Promise<BenchServer> {
  const app = await NestFactory.createMicroservice(module, {
    strategy: new PicomServer({ service: SERVICE, servers: [url], gracePeriod: 100, ...extra }),
    logger: false,
  });
  await app.listen();
  return { close: () => app.close() };
}
