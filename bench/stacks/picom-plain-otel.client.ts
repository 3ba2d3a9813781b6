import { registerNoopTracing } from './noop-tracing.js';
import { createPlainClient } from './picom-plain.client.js';
import type { BenchClient } from './types.js';

/** Stack 5's client with an OpenTelemetry SDK registered (no-op exporter). */
export function createClient(url: string): Promise<BenchClient> {
  registerNoopTracing();
  return createPlainClient(url, {});
}
