import { TRACING_OFF } from './tracing-off.js';
import { startPlainServer } from './picom-plain.server.js';
import type { BenchServer } from './types.js';

/** Stack 5 with discovery and tracing both off: the reference for what the two cost together. */
export function startServer(url: string): Promise<BenchServer> {
  return startPlainServer(url, { discovery: false, ...TRACING_OFF });
}
