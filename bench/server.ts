/**
 * A benchmark server process: starts one stack's server, then takes marks
 * (CPU, calls served) when the orchestrator says so, and reports on `finish`.
 */
import { startProfile, stopProfile } from './profiler.js';
import { RssSampler, send, snapshot, type ParentMessage, type ServerConfig, type Snapshot } from './protocol.js';
import type { ServerModule } from './stacks/types.js';
import { served } from './workload.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const rss = new RssSampler();
const marks: Snapshot[] = [];

const mod = (await import(`./stacks/${config.serverModule}`)) as ServerModule;
const server = await mod.startServer(config.url);

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'mark':
      marks.push(snapshot(message.label, served.calls));
      void send({ type: 'marked', label: message.label });
      if (message.label === 'start') void startProfile();
      if (message.label === 'end') void stopProfile(config.name);
      break;
    case 'finish':
      void finish();
      break;
    default:
      break;
  }
});

async function finish(): Promise<void> {
  const rssPeak = rss.peak;
  rss.stop();
  await send({ type: 'result', role: 'server', marks, rssPeak });
  await server.close().catch(() => undefined);
  process.exit(0);
}

await send({ type: 'ready' });
