import type { BenchClient } from './types.js';
import { createRawClient } from './raw.client.js';

/** Stack 1, the limit: raw nats.js with its fastest client setting. */
export function createClient(url: string): Promise<BenchClient> {
  return createRawClient(url, true);
}
