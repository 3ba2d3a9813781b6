import { PicomRemoteError } from '../../errors/index.js';
import { parseDuration } from '../cli.arguments.js';
import type { CliCommand, CliIo } from '../cli.command.js';
import { CLI_HELP, CLI_MESSAGES, DEFAULT_CLI_CALL_TIMEOUT, EXIT_CODES } from '../constants.js';
import { parseHeaders } from '../input/headers.parser.js';
import { readMessage } from '../input/message.reader.js';
import { formatJson } from '../output/table.formatter.js';
import { subjectArgument, withPicom } from './command.helpers.js';

export const callCommand: CliCommand = {
  name: 'call',
  help: CLI_HELP.call,
  flags: ['timeout', 'header', 'json'],
  args: { min: 1, max: 2, missing: 'a subject, <service>.<method>' },
  async run(context) {
    const subject = subjectArgument(context);
    const timeout = parseDuration('timeout', context.values.timeout, DEFAULT_CLI_CALL_TIMEOUT);
    const headers = parseHeaders(context.values.header);
    const message = await readMessage(context.args[1], context.io.stdin);
    return withPicom(context, timeout, async (picom) => {
      try {
        const payload: unknown = await picom.request(subject, message, headers === undefined ? { timeout } : { timeout, headers });
        context.io.stdout.write(formatJson(payload ?? null));
        return EXIT_CODES.OK;
      } catch (err) {
        if (!(err instanceof PicomRemoteError)) throw err;
        writeRemoteError(context.io, err, context.values.json === true);
        return EXIT_CODES.REMOTE;
      }
    });
  },
};

/** The error's text and every field of its envelope, on stderr. */
export function writeRemoteError(io: CliIo, err: PicomRemoteError, json: boolean): void {
  const fields = err.fields;
  if (json) {
    io.stderr.write(formatJson({ error: err.message, ...fields }));
    return;
  }
  const lines = [`picom: ${CLI_MESSAGES.remoteError(err.subject, err.message)}`];
  for (const [key, value] of Object.entries(fields)) lines.push(`  ${key}: ${JSON.stringify(value) ?? String(value)}`);
  io.stderr.write(`${lines.join('\n')}\n`);
}
