import { registerNoopTracing } from './noop-tracing.js';
import { startPlainServer } from './picom-plain.server.js';
import type { BenchServer } from './types.js';

/** Stack 5 with an OpenTelemetry SDK registered (no-op exporter): what spans cost the plain path's server. */
export function startServer(url: string): Promise<BenchServer> {
  registerNoopTracing();
  return startPlainServer(url, {});
}
