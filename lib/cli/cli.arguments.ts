import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CLI_MESSAGES } from './constants.js';
import { CliError } from './cli.errors.js';

/**
 * Every flag of every command, for `node:util` `parseArgs`: one parse over
 * the whole line (flags may come before or after the command), then each
 * command refuses the flags that are not its own.
 */
export const CLI_OPTIONS = {
  servers: { type: 'string', short: 's' },
  user: { type: 'string' },
  password: { type: 'string' },
  token: { type: 'string' },
  creds: { type: 'string' },
  nkey: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  json: { type: 'boolean' },
  timeout: { type: 'string', short: 't' },
  id: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  duration: { type: 'string', short: 'd' },
  concurrency: { type: 'string', short: 'c' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export type CliFlag = keyof typeof CLI_OPTIONS;

/** The flags every command takes: where and how to connect, and help. */
export const CONNECTION_FLAGS: readonly CliFlag[] = Object.freeze([
  'servers',
  'user',
  'password',
  'token',
  'creds',
  'nkey',
  'tls-ca',
  'tls-cert',
  'tls-key',
  'help',
]);

/** What the flags parse to. */
export interface CliValues {
  servers?: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  help?: boolean;
  version?: boolean;
  json?: boolean;
  timeout?: string;
  id?: string;
  header?: string[];
  duration?: string;
  concurrency?: string;
}

export interface CliArguments {
  values: CliValues;
  /** The command name first, then its arguments. */
  positionals: string[];
}

/**
 * Parses the command line.
 * @throws {CliError} (usage) on an unknown flag or a flag without its value
 */
export function parseCliArguments(argv: readonly string[]): CliArguments {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: CLI_OPTIONS, allowPositionals: true, strict: true });
    return { values: values as CliValues, positionals };
  } catch (err) {
    // node:util's messages name the flag, never its value.
    throw new CliError(err instanceof Error ? lowerFirst(err.message) : String(err));
  }
}

/** The flags given on the line that `allowed` does not list. */
export function refusedFlags(values: CliValues, allowed: readonly CliFlag[]): CliFlag[] {
  return (Object.keys(values) as CliFlag[]).filter((flag) => values[flag] !== undefined && !allowed.includes(flag));
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1_000, m: 60_000 });

/**
 * `500`, `500ms`, `1.5s`, `2m` in milliseconds, or `fallback` when not given.
 * @throws {CliError} (usage) naming the flag
 */
export function parseDuration(flag: CliFlag, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const match = DURATION.exec(value.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] ?? 'ms']! : Number.NaN;
  if (!(Number.isFinite(ms) && ms > 0)) {
    throw new CliError(CLI_MESSAGES.invalidDuration(flag, value));
  }
  return ms;
}

/**
 * A positive integer, or `fallback` when not given.
 * @throws {CliError} (usage) naming the flag
 */
export function parseCount(flag: CliFlag, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const count = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(Number.isSafeInteger(count) && count > 0)) {
    throw new CliError(CLI_MESSAGES.invalidCount(flag, value));
  }
  return count;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
