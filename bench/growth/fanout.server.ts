import { Picom, type PicomMethod } from 'picom';
import type { BenchServer } from '../stacks/types.js';
import { add, type AddRequest } from '../workload.js';
import { methodName, readShape, serviceName } from './fanout-shape.js';

/** Plain Picom with many services (one `Picom`, so one connection, per service) of many methods each. */
export async function startServer(url: string): Promise<BenchServer> {
  const shape = readShape();
  const methods: Record<string, PicomMethod> = {};
  for (let m = 0; m < shape.methods; m++) methods[methodName(m)] = (message: AddRequest) => add(message);
  const picoms: Picom[] = [];
  for (let s = 0; s < shape.services; s++) {
    const picom = new Picom(serviceName(s), { servers: [url], gracePeriod: 100 });
    await picom.expose(methods);
    picoms.push(picom);
  }
  return {
    close: async () => {
      await Promise.all(picoms.map((p) => p.close()));
    },
  };
}
