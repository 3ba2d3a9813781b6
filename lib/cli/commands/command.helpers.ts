import { DEFAULT_DISCOVERY_WAIT } from '../../constants.js';
import { PicomDiscovery, type PicomDiscoveryOptions, type PicomDiscoveryReply } from '../../discovery/picom.discovery.js';
import type { Picom } from '../../picom.js';
import { parseDuration } from '../cli.arguments.js';
import type { CliContext } from '../cli.command.js';
import { CliError } from '../cli.errors.js';
import { CLI_MESSAGES, EXIT_CODES } from '../constants.js';
import { createCliPicom } from '../connection/cli.connection.js';
import { isValidSubject, subjectRefusal } from '../../protocol/subject.rules.js';

/** Runs `fn` with the CLI's endpoint, and closes it whatever happens. */
export async function withPicom<T>(context: CliContext, timeout: number | undefined, fn: (picom: Picom) => Promise<T>): Promise<T> {
  const picom = createCliPicom(context.values, timeout);
  try {
    return await fn(picom);
  } finally {
    await picom.close().catch(() => undefined);
  }
}

/**
 * Runs `fn` with a discovery client on an open connection, and the options
 * of the command line (`--timeout` as the collecting time, `--id`). Answers
 * that are not micro documents are left out and told on stderr.
 */
export async function withDiscovery<T>(
  context: CliContext,
  fn: (discovery: PicomDiscovery, options: PicomDiscoveryOptions & { timeout: number }) => Promise<T>,
): Promise<T> {
  const timeout = parseDuration('timeout', context.values.timeout, DEFAULT_DISCOVERY_WAIT);
  return withPicom(context, undefined, async (picom) => {
    await picom.connect();
    const options: PicomDiscoveryOptions & { timeout: number } = {
      timeout,
      onIgnored: (subject, reason) => context.io.stderr.write(`picom: ${CLI_MESSAGES.ignoredAnswer(subject, reason)}\n`),
    };
    if (context.values.id !== undefined) options.id = context.values.id;
    return fn(new PicomDiscovery(picom.unwrap()), options);
  });
}

/** Nobody answered a discovery request that names a service: exit 3. */
export function noAnswer(what: string, wait: number): CliError {
  return new CliError(CLI_MESSAGES.noAnswer(what, wait), EXIT_CODES.UNAVAILABLE);
}

/**
 * The documents of `service`'s instances, ordered by instance id.
 * @throws {CliError} (exit 3) when no instance answered within `wait` ms
 */
export function instanceDocuments<T extends { id: string }>(replies: readonly PicomDiscoveryReply<T>[], service: string, wait: number): T[] {
  if (replies.length === 0) throw noAnswer(`instance of ${service}`, wait);
  return replies.map((reply) => reply.document).sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * `<service>.<method>` as the first argument, checked before connecting.
 * @throws {CliError} (usage) with the core's explanation
 */
export function subjectArgument(context: CliContext): string {
  const subject = context.args[0]!;
  if (!isValidSubject(subject)) {
    throw new CliError(subjectRefusal(subject));
  }
  return subject;
}
