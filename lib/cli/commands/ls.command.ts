import type { MicroInfoResponse } from '../../discovery/micro.documents.js';
import type { CliCommand } from '../cli.command.js';
import { CLI_HELP, CLI_MESSAGES, EXIT_CODES } from '../constants.js';
import { formatJson, formatTable } from '../output/table.formatter.js';
import { withDiscovery } from './command.helpers.js';

/** One service as `ls` shows it: its instances folded together. */
export interface ServiceSummary {
  name: string;
  /** Every version its instances report, sorted: several while a rollout is under way. */
  versions: string[];
  instances: number;
  /** Endpoint names, deduplicated, in the order instances list them. */
  methods: string[];
  description: string;
}

/** Folds INFO answers into one summary per service name, sorted by name. */
export function summarize(documents: readonly MicroInfoResponse[]): ServiceSummary[] {
  const byName = new Map<string, { versions: Set<string>; instances: number; methods: Set<string>; descriptions: Set<string> }>();
  for (const doc of documents) {
    let entry = byName.get(doc.name);
    if (entry === undefined) {
      entry = { versions: new Set(), instances: 0, methods: new Set(), descriptions: new Set() };
      byName.set(doc.name, entry);
    }
    entry.instances++;
    entry.versions.add(String(doc.version));
    for (const endpoint of Array.isArray(doc.endpoints) ? doc.endpoints : []) entry.methods.add(String(endpoint.name));
    if (typeof doc.description === 'string' && doc.description !== '') entry.descriptions.add(doc.description);
  }
  return [...byName.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => ({
      name,
      versions: [...entry.versions].sort(),
      instances: entry.instances,
      methods: [...entry.methods],
      description: [...entry.descriptions].join(' | '),
    }));
}

export const lsCommand: CliCommand = {
  name: 'ls',
  help: CLI_HELP.ls,
  flags: ['timeout', 'json'],
  args: { min: 0, max: 0 },
  run: (context) =>
    withDiscovery(context, async (discovery, options) => {
      const services = summarize((await discovery.info(undefined, options)).map((r) => r.document));
      if (context.values.json) {
        context.io.stdout.write(formatJson(services));
      } else if (services.length === 0) {
        context.io.stderr.write(`picom: ${CLI_MESSAGES.noServices(options.timeout)}\n`);
      } else {
        const rows = services.map((s) => [s.name, s.versions.join(', '), String(s.instances), s.methods.join(', '), s.description]);
        context.io.stdout.write(formatTable(['SERVICE', 'VERSION', 'INSTANCES', 'METHODS', 'DESCRIPTION'], rows, ['left', 'left', 'right']));
      }
      return EXIT_CODES.OK;
    }),
};
