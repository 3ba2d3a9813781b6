import { TRACING_OFF } from './tracing-off.js';
import { createPlainClient } from './picom-plain.client.js';
import type { BenchClient } from './types.js';

/** Stack 5's client with `tracing: false`. */
export function createClient(url: string): Promise<BenchClient> {
  return createPlainClient(url, { ...TRACING_OFF });
}
