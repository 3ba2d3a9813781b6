import { Picom } from 'picom';
import type { BenchClient } from '../stacks/types.js';
import { CALL_TIMEOUT_MS, type AddRequest } from '../workload.js';
import { readShape, subjectsOf } from './fanout-shape.js';

/** Plain Picom client spreading its calls over every method of every service, in turn. */
export async function createClient(url: string): Promise<BenchClient> {
  const subjects = subjectsOf(readShape());
  const picom = new Picom('bench-client', { servers: [url], timeout: CALL_TIMEOUT_MS });
  await picom.connect();
  let next = 0;
  return {
    call: (message: AddRequest) => {
      const subject = subjects[next]!;
      next = next + 1 === subjects.length ? 0 : next + 1;
      return picom.request(subject, message);
    },
    close: () => picom.close(),
  };
}
