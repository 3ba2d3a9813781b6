import { TRACING_OFF } from './tracing-off.js';
import { startNestServer } from './picom-nest.server.js';
import type { BenchServer } from './types.js';

/** Stack 4 with `tracing: false`: the reference for what an installed but unused API costs. */
export function startServer(url: string): Promise<BenchServer> {
  return startNestServer(url, { ...TRACING_OFF });
}
