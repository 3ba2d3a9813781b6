import type { CliCommand } from '../cli.command.js';
import { CLI_HELP, EXIT_CODES } from '../constants.js';
import { formatNs } from '../output/duration.formatter.js';
import { formatJson, formatTable } from '../output/table.formatter.js';
import { instanceDocuments, withDiscovery } from './command.helpers.js';

export const statsCommand: CliCommand = {
  name: 'stats',
  help: CLI_HELP.stats,
  flags: ['timeout', 'id', 'json'],
  args: { min: 1, max: 1, missing: 'a service name' },
  run: (context) =>
    withDiscovery(context, async (discovery, options) => {
      const service = context.args[0]!;
      const documents = instanceDocuments(await discovery.stats(service, options), service, options.timeout);
      if (context.values.json) {
        context.io.stdout.write(formatJson(documents));
        return EXIT_CODES.OK;
      }
      const rows = documents.flatMap((doc) =>
        (doc.endpoints ?? []).map((e) => [
          doc.id,
          e.name,
          String(e.num_requests),
          String(e.num_errors),
          e.num_requests > 0 ? formatNs(e.average_processing_time) : '-',
          e.last_error ?? '',
        ]),
      );
      context.io.stdout.write(
        formatTable(['INSTANCE', 'METHOD', 'REQUESTS', 'ERRORS', 'AVERAGE', 'LAST ERROR'], rows, ['left', 'left', 'right', 'right', 'right']),
      );
      return EXIT_CODES.OK;
    }),
};
