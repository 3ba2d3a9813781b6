import type { CliCommand } from '../cli.command.js';
import { CLI_HELP, EXIT_CODES } from '../constants.js';
import { formatJson, formatTable } from '../output/table.formatter.js';
import { instanceDocuments, withDiscovery } from './command.helpers.js';

export const infoCommand: CliCommand = {
  name: 'info',
  help: CLI_HELP.info,
  flags: ['timeout', 'id', 'json'],
  args: { min: 1, max: 1, missing: 'a service name' },
  run: (context) =>
    withDiscovery(context, async (discovery, options) => {
      const service = context.args[0]!;
      const documents = instanceDocuments(await discovery.info(service, options), service, options.timeout);
      if (context.values.json) {
        context.io.stdout.write(formatJson(documents));
        return EXIT_CODES.OK;
      }
      const descriptions = [...new Set(documents.map((d) => d.description).filter((d) => typeof d === 'string' && d !== ''))];
      if (descriptions.length > 0) context.io.stdout.write(`${service}: ${descriptions.join(' | ')}\n\n`);
      const rows = documents.flatMap((doc) =>
        (doc.endpoints ?? []).map((e) => [doc.id, doc.version, e.name, e.subject, e.queue_group ?? '']),
      );
      context.io.stdout.write(formatTable(['INSTANCE', 'VERSION', 'METHOD', 'SUBJECT', 'QUEUE'], rows));
      return EXIT_CODES.OK;
    }),
};
