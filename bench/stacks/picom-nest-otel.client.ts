import { registerNoopTracing } from './noop-tracing.js';
import { createNestClient } from './picom-nest.client.js';
import type { BenchClient } from './types.js';

/** Stack 4's client with an OpenTelemetry SDK registered (no-op exporter). */
export function createClient(url: string): Promise<BenchClient> {
  registerNoopTracing();
  return createNestClient(url, {});
}
