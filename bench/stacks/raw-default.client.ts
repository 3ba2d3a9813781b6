import type { BenchClient } from './types.js';
import { createRawClient } from './raw.client.js';

/** Stack 2: raw nats.js with default settings (async stack traces captured per request). */
export function createClient(url: string): Promise<BenchClient> {
  return createRawClient(url, false);
}
