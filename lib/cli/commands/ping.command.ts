import type { CliCommand } from '../cli.command.js';
import { CLI_HELP, EXIT_CODES } from '../constants.js';
import { formatMs } from '../output/duration.formatter.js';
import { formatJson, formatTable } from '../output/table.formatter.js';
import { noAnswer, withDiscovery } from './command.helpers.js';

export const pingCommand: CliCommand = {
  name: 'ping',
  help: CLI_HELP.ping,
  flags: ['timeout', 'id', 'json'],
  args: { min: 0, max: 1 },
  run: (context) =>
    withDiscovery(context, async (discovery, options) => {
      const service = context.args[0];
      const replies = (await discovery.ping(service, options)).sort(
        (a, b) => a.document.name.localeCompare(b.document.name) || a.rtt - b.rtt,
      );
      if (replies.length === 0) throw noAnswer(service === undefined ? 'service' : `instance of ${service}`, options.timeout);
      if (context.values.json) {
        const list = replies.map(({ document, rtt }) => ({ name: document.name, id: document.id, version: document.version, rtt_ms: rtt }));
        context.io.stdout.write(formatJson(list));
        return EXIT_CODES.OK;
      }
      const rows = replies.map(({ document, rtt }) => [document.name, document.id, document.version, formatMs(rtt)]);
      context.io.stdout.write(formatTable(['SERVICE', 'INSTANCE', 'VERSION', 'RTT'], rows, ['left', 'left', 'left', 'right']));
      return EXIT_CODES.OK;
    }),
};
