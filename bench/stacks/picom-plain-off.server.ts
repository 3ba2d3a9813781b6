import type { BenchServer } from './types.js';
import { startPlainServer } from './picom-plain.server.js';

/** Stack 5 with `discovery: false`: what the micro protocol's stats cost the plain path. */
export function startServer(url: string): Promise<BenchServer> {
  return startPlainServer(url, { discovery: false });
}
