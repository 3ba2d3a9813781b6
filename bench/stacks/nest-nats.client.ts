import { Logger } from '@nestjs/common';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { SUBJECT, type AddRequest } from '../workload.js';
import type { BenchClient } from './types.js';

/**
 * Stack 3, client: `ClientProxyFactory` with `Transport.NATS`, called as Nest
 * apps do: `lastValueFrom(client.send(pattern, data))`. It has no per-call
 * timeout of its own, so it takes no part in the timeout check.
 */
export async function createClient(url: string): Promise<BenchClient> {
  // Its status log lines cost time and are no part of the call.
  Logger.overrideLogger(false);
  const client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [url] } });
  await client.connect();
  return {
    call: (message: AddRequest) => lastValueFrom(client.send(SUBJECT, message)),
    close: () => client.close(),
  };
}
