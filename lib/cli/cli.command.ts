import type { CliFlag, CliValues } from './cli.arguments.js';
import type { ExitCode } from './constants.js';

/** Where a command reads and writes: the process's streams, or a test's. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  stdin: AsyncIterable<Buffer | string>;
}

/** What a command runs with. */
export interface CliContext {
  values: CliValues;
  /** The arguments after the command name. */
  args: string[];
  io: CliIo;
}

/** One `picom <command>`. */
export interface CliCommand {
  readonly name: string;
  readonly help: string;
  /** Its flags beyond the connection ones. */
  readonly flags: readonly CliFlag[];
  /** Arguments it needs and takes at most; `missing` names the first needed one. */
  readonly args: { readonly min: number; readonly max: number; readonly missing?: string };
  run(context: CliContext): Promise<ExitCode>;
}
