import { connect, type Msg } from '@nats-io/transport-node';
import { add, never, NEVER_SUBJECT, SUBJECT, type AddRequest } from '../workload.js';
import type { BenchServer } from './types.js';

/**
 * Raw nats.js server, shared by both raw stacks: a callback subscription that
 * parses the JSON body and responds with the JSON reply. Nothing else.
 */
export async function startServer(url: string): Promise<BenchServer> {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  nc.subscribe(SUBJECT, {
    callback: (err: Error | null, msg: Msg) => {
      if (err) return;
      msg.respond(JSON.stringify(add(msg.json<AddRequest>())));
    },
  });
  nc.subscribe(NEVER_SUBJECT, { callback: () => void never() });
  await nc.flush();
  return {
    close: async () => {
      await nc.drain();
    },
  };
}
