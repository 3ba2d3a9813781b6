import { connect, type Msg } from '@nats-io/transport-node';
import { CALL_TIMEOUT_MS, NEVER_SUBJECT, SUBJECT, type AddRequest } from '../workload.js';
import type { BenchClient } from './types.js';

/**
 * Raw nats.js client: `nc.request()` (muxed inbox, nats.js's fastest request
 * path) with a JSON string body, reply parsed with `msg.json()`.
 */
export async function createRawClient(url: string, noAsyncTraces: boolean): Promise<BenchClient> {
  const nc = await connect({ servers: url, noAsyncTraces });
  const parse = (msg: Msg): unknown => msg.json();
  return {
    call: (message: AddRequest) => nc.request(SUBJECT, JSON.stringify(message), { timeout: CALL_TIMEOUT_MS }).then(parse),
    callNever: (timeoutMs: number) => nc.request(NEVER_SUBJECT, '', { timeout: timeoutMs }),
    close: async () => {
      await nc.close();
    },
  };
}
