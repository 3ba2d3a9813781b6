import type { BenchServer } from './types.js';
import { startNestServer } from './picom-nest.server.js';

/** Stack 4 with `discovery: false`: what the micro protocol's stats cost the Nest path. */
export function startServer(url: string): Promise<BenchServer> {
  return startNestServer(url, { discovery: false });
}
