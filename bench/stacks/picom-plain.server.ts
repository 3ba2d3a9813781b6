import { Picom, type PicomOptions } from 'picom';
import { add, never, SERVICE, type AddRequest } from '../workload.js';
import type { BenchServer } from './types.js';

/** Stack 5, server: `Picom.expose`. */
export function startServer(url: string): Promise<BenchServer> {
  return startPlainServer(url, {});
}

/** The plain server with extra options (the discovery-off and tracing-off variants). */
export async function startPlainServer(url: string, extra: PicomOptions): Promise<BenchServer> {
  const picom = new Picom(SERVICE, { servers: [url], gracePeriod: 100, ...extra });
  await picom.expose({
    add: (message: AddRequest) => add(message),
    never: () => never(),
  });
  return { close: () => picom.close() };
}
