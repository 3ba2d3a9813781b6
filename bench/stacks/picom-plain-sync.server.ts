import { startPlainServer, SYNC_HANDLERS } from './picom-plain.server.js';
import type { BenchServer } from './types.js';

/** Stack 5 with a synchronous `add`: what settling the handler's promise costs the plain path. */
export function startServer(url: string): Promise<BenchServer> {
  return startPlainServer(url, {}, SYNC_HANDLERS);
}
