import type { CliCommand } from '../cli.command.js';
import { CLI_HELP, EXIT_CODES } from '../constants.js';
import { parseHeaders } from '../input/headers.parser.js';
import { readMessage } from '../input/message.reader.js';
import { subjectArgument, withPicom } from './command.helpers.js';

export const publishCommand: CliCommand = {
  name: 'publish',
  help: CLI_HELP.publish,
  flags: ['header'],
  args: { min: 1, max: 2, missing: 'a subject, <service>.<method>' },
  async run(context) {
    const subject = subjectArgument(context);
    const headers = parseHeaders(context.values.header);
    const message = await readMessage(context.args[1], context.io.stdin);
    // close() drains the connection: the message has left when the command ends.
    return withPicom(context, undefined, async (picom) => {
      await picom.publish(subject, message, headers === undefined ? undefined : { headers });
      return EXIT_CODES.OK;
    });
  },
};
