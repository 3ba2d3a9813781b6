import { Picom } from 'picom';
import { add, never, SERVICE, type AddRequest } from '../workload.js';
import type { BenchServer } from './types.js';

/** Stack 5, server: `Picom.expose`. */
export async function startServer(url: string): Promise<BenchServer> {
  const picom = new Picom(SERVICE, { servers: [url], gracePeriod: 100 });
  await picom.expose({
    add: (message: AddRequest) => add(message),
    never: () => never(),
  });
  return { close: () => picom.close() };
}
