import { Picom, type PicomMethod, type PicomOptions } from 'picom';
import { add, never, SERVICE, type AddRequest } from '../workload.js';
import type { BenchServer } from './types.js';

/** The methods as users write them: `async`, so every call settles a promise. */
export const ASYNC_HANDLERS = {
  add: async (message: AddRequest) => add(message),
  never: () => never(),
} satisfies Record<string, PicomMethod>;

/** The same methods returning their value directly: the responder's synchronous path. */
export const SYNC_HANDLERS = {
  add: (message: AddRequest) => add(message),
  never: () => never(),
} satisfies Record<string, PicomMethod>;

/** Stack 5, server: `Picom.expose` with `async` methods. */
export function startServer(url: string): Promise<BenchServer> {
  return startPlainServer(url, {});
}

/** The plain server with extra options (the discovery-off and tracing-off variants) or other handlers. */
export async function startPlainServer(url: string, extra: PicomOptions, handlers: Record<string, PicomMethod> = ASYNC_HANDLERS): Promise<BenchServer> {
  const picom = new Picom(SERVICE, { servers: [url], gracePeriod: 100, ...extra });
  await picom.expose(handlers);
  return { close: () => picom.close() };
}
