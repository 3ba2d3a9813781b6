import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * CPU profile of the measured window only (between the `start` and `end`
 * marks), so start-up and the latency phase stay out of it. Enabled by the
 * orchestrator's `--profile`, which passes the directory in the environment.
 */
const DIR = process.env['PICOM_BENCH_PROFILE_DIR'];
let session: Session | undefined;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) =>
    (session as Session).post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
  );
}

export async function startProfile(): Promise<void> {
  if (!DIR || session) return;
  session = new Session();
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
}

export async function stopProfile(name: string): Promise<void> {
  if (!DIR || !session) return;
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(join(DIR, `${name}.cpuprofile`), JSON.stringify(profile));
  session.disconnect();
  session = undefined;
}
