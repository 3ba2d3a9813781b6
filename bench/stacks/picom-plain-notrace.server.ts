import { TRACING_OFF } from './tracing-off.js';
import { startPlainServer } from './picom-plain.server.js';
import type { BenchServer } from './types.js';

/** Stack 5 with `tracing: false`: the reference for what an installed but unused API costs. */
export function startServer(url: string): Promise<BenchServer> {
  return startPlainServer(url, { ...TRACING_OFF });
}
