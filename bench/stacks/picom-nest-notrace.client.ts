import { TRACING_OFF } from './tracing-off.js';
import { createNestClient } from './picom-nest.client.js';
import type { BenchClient } from './types.js';

/** Stack 4's client with `tracing: false`. */
export function createClient(url: string): Promise<BenchClient> {
  return createNestClient(url, { ...TRACING_OFF });
}
