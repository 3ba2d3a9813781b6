import { PicomClient, PicomRecordBuilder, type PicomClientOptions } from 'picom/nest';
import { lastValueFrom } from 'rxjs';
import { CALL_TIMEOUT_MS, NEVER_SUBJECT, SUBJECT, type AddRequest } from '../workload.js';
import type { BenchClient } from './types.js';

/** Stack 4, client: `PicomClient.send`, called as Nest apps do: `lastValueFrom(client.send(...))`. */
export function createClient(url: string): Promise<BenchClient> {
  return createNestClient(url, {});
}

/** The Nest client with extra options (the tracing-off variant). */
export async function createNestClient(url: string, extra: PicomClientOptions): Promise<BenchClient> {
  const client = new PicomClient({ servers: [url], timeout: CALL_TIMEOUT_MS, ...extra });
  await client.connect();
  return {
    call: (message: AddRequest) => lastValueFrom(client.send(SUBJECT, message)),
    callNever: (timeoutMs: number) =>
      lastValueFrom(client.send(NEVER_SUBJECT, new PicomRecordBuilder({}).setTimeout(timeoutMs).build())),
    close: () => client.close(),
  };
}
