import { Picom, type PicomOptions } from 'picom';
import { CALL_TIMEOUT_MS, NEVER_SUBJECT, SUBJECT, type AddRequest } from '../workload.js';
import type { BenchClient } from './types.js';

/** Stack 5, client: `Picom.request`. */
export function createClient(url: string): Promise<BenchClient> {
  return createPlainClient(url, {});
}

/** The plain client with extra options (the tracing-off variant). */
export async function createPlainClient(url: string, extra: PicomOptions): Promise<BenchClient> {
  const picom = new Picom('bench-client', { servers: [url], timeout: CALL_TIMEOUT_MS, ...extra });
  await picom.connect();
  return {
    call: (message: AddRequest) => picom.request(SUBJECT, message),
    callNever: (timeoutMs: number) => picom.request(NEVER_SUBJECT, {}, { timeout: timeoutMs }),
    close: () => picom.close(),
  };
}
