import { readFileSync } from 'node:fs';
import { CONNECTION_FLAGS, parseCliArguments, refusedFlags, type CliArguments } from './cli.arguments.js';
import type { CliCommand, CliIo } from './cli.command.js';
import { CliError, exitCodeOf } from './cli.errors.js';
import { CLI_HELP, CLI_MESSAGES, EXIT_CODES, type ExitCode } from './constants.js';
import { benchCommand } from './commands/bench.command.js';
import { callCommand } from './commands/call.command.js';
import { infoCommand } from './commands/info.command.js';
import { lsCommand } from './commands/ls.command.js';
import { pingCommand } from './commands/ping.command.js';
import { publishCommand } from './commands/publish.command.js';
import { statsCommand } from './commands/stats.command.js';

const COMMANDS: ReadonlyMap<string, CliCommand> = new Map(
  [lsCommand, infoCommand, statsCommand, pingCommand, callCommand, publishCommand, benchCommand].map((c) => [c.name, c]),
);

/**
 * Runs `picom <argv>` and resolves with the exit code; writes only to `io`.
 * Every failure ends here as one line on stderr (or a few, for a remote
 * error's fields) and its exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let command: CliCommand | undefined;
  try {
    const parsed = parseCliArguments(argv);
    if (parsed.values.version) {
      io.stdout.write(`${packageVersion()}\n`);
      return EXIT_CODES.OK;
    }
    const [name, ...args] = parsed.positionals;
    if (name === undefined) {
      if (parsed.values.help) {
        io.stdout.write(CLI_HELP.main);
        return EXIT_CODES.OK;
      }
      io.stderr.write(`picom: ${CLI_MESSAGES.noCommand}\n\n${CLI_HELP.main}`);
      return EXIT_CODES.USAGE;
    }
    command = COMMANDS.get(name);
    if (command === undefined) {
      throw new CliError(CLI_MESSAGES.unknownCommand(name, [...COMMANDS.keys()]));
    }
    if (parsed.values.help) {
      io.stdout.write(command.help);
      return EXIT_CODES.OK;
    }
    checkUsage(command, parsed, args);
    return await command.run({ values: parsed.values, args, io });
  } catch (err) {
    const code = exitCodeOf(err);
    const text = err instanceof Error ? err.message : String(err);
    const hint = code === EXIT_CODES.USAGE && err instanceof CliError && !text.includes('\n') ? ` (${CLI_MESSAGES.seeHelp(command?.name)})` : '';
    io.stderr.write(`picom: ${err instanceof Error && !(err instanceof CliError) && !err.name.startsWith('Picom') ? CLI_MESSAGES.unexpected(text) : text}${hint}\n`);
    return code;
  }
}

function checkUsage(command: CliCommand, parsed: CliArguments, args: readonly string[]): void {
  const [refused] = refusedFlags(parsed.values, [...CONNECTION_FLAGS, ...command.flags]);
  if (refused !== undefined) {
    throw new CliError(CLI_MESSAGES.optionNotForCommand(refused, command.name), EXIT_CODES.USAGE, command.name);
  }
  if (args.length < command.args.min) {
    throw new CliError(CLI_MESSAGES.missingArgument(command.name, command.args.missing ?? 'an argument'), EXIT_CODES.USAGE, command.name);
  }
  if (args.length > command.args.max) {
    throw new CliError(CLI_MESSAGES.tooManyArguments(command.name, command.args.max), EXIT_CODES.USAGE, command.name);
  }
}

/** The version in package.json, two folders up from the built file (dist/esm/cli/). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}
