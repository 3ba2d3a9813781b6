import { NEST_MODULES, startNestServer } from './picom-nest.server.js';
import type { BenchServer } from './types.js';

/** Stack 4 with a synchronous `@MessagePattern` method: what the handler's own promise costs the Nest path. */
export function startServer(url: string): Promise<BenchServer> {
  return startNestServer(url, {}, NEST_MODULES.sync);
}
