import type { PicomHeaders } from '../../requester/picom.requester.js';
import { CLI_MESSAGES } from '../constants.js';
import { CliError } from '../cli.errors.js';

/**
 * Repeated `--header name=value` flags as request headers: a name given twice
 * sends both values. Names and values are checked by the core when sent.
 * @throws {CliError} (usage) for an entry without "=" or with an empty name
 */
export function parseHeaders(entries: readonly string[] | undefined): PicomHeaders | undefined {
  if (entries === undefined || entries.length === 0) return undefined;
  const headers: Record<string, string[]> = {};
  entries.forEach((entry, index) => {
    const at = entry.indexOf('=');
    const name = at === -1 ? '' : entry.slice(0, at).trim();
    if (name === '') {
      throw new CliError(CLI_MESSAGES.invalidHeader(index + 1));
    }
    (headers[name] ??= []).push(entry.slice(at + 1));
  });
  return Object.fromEntries(Object.entries(headers).map(([name, values]) => [name, values.length === 1 ? values[0]! : values]));
}
