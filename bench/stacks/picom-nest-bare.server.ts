import { TRACING_OFF } from './tracing-off.js';
import { startNestServer } from './picom-nest.server.js';
import type { BenchServer } from './types.js';

/** Stack 4 with discovery and tracing both off: the reference for what the two cost together. */
export function startServer(url: string): Promise<BenchServer> {
  return startNestServer(url, { discovery: false, ...TRACING_OFF });
}
