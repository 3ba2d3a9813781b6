/**
 * The consumer app, the same text under every setting: a Nest microservice on
 * `PicomServer` serving `compat.add`, a `PicomClient` from `PicomModule` and a
 * plain `Picom` calling it. One file with no relative imports, so it compiles
 * unchanged as CommonJS and as ESM. It prints one `COMPAT {json}` line.
 */
export const CONSUMER_MAIN = `import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload, type MicroserviceOptions } from '@nestjs/microservices';
import { Picom, PicomStatus, type PicomOptions } from 'picom';
import { PicomClient, PicomModule, PicomServer, type PicomServerOptions } from 'picom/nest';
import { firstValueFrom } from 'rxjs';

interface Sum {
  result: number;
}

@Controller()
class CompatController {
  @MessagePattern('add')
  add(@Payload() { a, b }: { a: number; b: number }): Sum {
    return { result: a + b };
  }
}

@Module({ imports: [PicomModule.register({ timeout: 5_000 })], controllers: [CompatController] })
class CompatModule {}

const serverOptions: PicomServerOptions = { service: 'compat' };
const callerOptions: PicomOptions = { timeout: 5_000 };

async function main(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(CompatModule, {
    strategy: new PicomServer(serverOptions),
    logger: false,
  });
  await app.listen();
  const viaClient = await firstValueFrom(app.get(PicomClient).send<Sum>('compat.add', { a: 2, b: 3 }));
  const picom = new Picom('compat-caller', callerOptions);
  const viaPicom = await picom.request<Sum>('compat.add', { a: 4, b: 5 });
  const status: PicomStatus = picom.status;
  await picom.close();
  await app.close();
  console.log('COMPAT ' + JSON.stringify({ viaClient, viaPicom, status }));
}

main().catch((err: unknown) => {
  console.error(err);
  // The open connections would keep a failed run alive.
  process.exit(1);
});
`;

/**
 * Subpaths outside the exports map stay closed under every setting: each line
 * fails to resolve, or \`@ts-expect-error\` is unused and fails the compile.
 * These are the names a wildcard \`typesVersions\` would open by accident.
 */
export const CONSUMER_CLOSED = `// @ts-expect-error picom exports '.' and './nest' only
import type * as core from 'picom/picom';
// @ts-expect-error picom exports '.' and './nest' only
import type * as errors from 'picom/errors';
// @ts-expect-error picom exports '.' and './nest' only
import type * as nestIndex from 'picom/nest/index';

export type Closed = [typeof core, typeof errors, typeof nestIndex];
`;
