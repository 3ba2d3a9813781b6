import { CLI_MESSAGES, JSON_SNIPPET_CHARACTERS } from '../constants.js';
import { CliError } from '../cli.errors.js';
import { locateJsonError } from './json-error.locator.js';

/**
 * The message of `call`, `publish` and `bench`: the JSON argument, standard
 * input when the argument is `-`, or `undefined` (sent as no message) without one.
 * @throws {CliError} (usage) for malformed JSON, saying where
 */
export async function readMessage(argument: string | undefined, stdin: AsyncIterable<Buffer | string>): Promise<unknown> {
  if (argument === undefined) return undefined;
  if (argument === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return parseJson(Buffer.concat(chunks).toString('utf8'), CLI_MESSAGES.messageStdin);
  }
  return parseJson(argument, CLI_MESSAGES.messageArgument);
}

/** `JSON.parse`, with an error that points at the first character that is not JSON. */
export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const at = locateJsonError(text);
    if (at === undefined) {
      throw new CliError(CLI_MESSAGES.invalidJsonUnlocated(where, err instanceof Error ? err.message : String(err)));
    }
    const message = CLI_MESSAGES.invalidJson(where, at.position, at.line, at.column, at.found, at.expected);
    throw new CliError(`${message}\n${snippet(text, at.position)}`);
  }
}

/** The line of the error, cut around it, with a caret under the character. */
function snippet(text: string, position: number): string {
  const lineStart = text.lastIndexOf('\n', position - 1) + 1;
  const lineEnd = text.indexOf('\n', position);
  const line = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd);
  const column = position - lineStart;
  const from = Math.max(0, column - Math.floor(JSON_SNIPPET_CHARACTERS / 2));
  const shown = line.slice(from, from + JSON_SNIPPET_CHARACTERS);
  return `  ${shown}\n  ${' '.repeat(column - from)}^`;
}
