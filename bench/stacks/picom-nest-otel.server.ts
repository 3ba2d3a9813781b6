import { registerNoopTracing } from './noop-tracing.js';
import { startNestServer } from './picom-nest.server.js';
import type { BenchServer } from './types.js';

/** Stack 4 with an OpenTelemetry SDK registered (no-op exporter): what spans cost the Nest path's server. */
export function startServer(url: string): Promise<BenchServer> {
  registerNoopTracing();
  return startNestServer(url, {});
}
