import { Picom } from 'picom';
import { CALL_TIMEOUT_MS, NEVER_SUBJECT, SUBJECT, type AddRequest } from '../workload.js';
import type { BenchClient } from './types.js';

/** Stack 5, client: `Picom.request`. */
export async function createClient(url: string): Promise<BenchClient> {
  const picom = new Picom('bench-client', { servers: [url], timeout: CALL_TIMEOUT_MS });
  await picom.connect();
  return {
    call: (message: AddRequest) => picom.request(SUBJECT, message),
    callNever: (timeoutMs: number) => picom.request(NEVER_SUBJECT, {}, { timeout: timeoutMs }),
    close: () => picom.close(),
  };
}
