import {
  PicomBadResponseError,
  PicomConnectionError,
  PicomEncodeError,
  PicomHeaderError,
  PicomNoRespondersError,
  PicomOptionsError,
  PicomPayloadTooLargeError,
  PicomRemoteError,
  PicomSubjectError,
  PicomTimeoutError,
} from '../errors/index.js';
import { EXIT_CODES, type ExitCode } from './constants.js';

/**
 * A failure the CLI reports itself, with the exit code it ends with: bad
 * usage (2) unless told otherwise.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT_CODES.USAGE,
    /** The command whose help the message points at, for usage errors. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** The exit code of any error a command may end with; one table, documented in `--help`. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof PicomRemoteError || err instanceof PicomBadResponseError) return EXIT_CODES.REMOTE;
  if (err instanceof PicomTimeoutError || err instanceof PicomNoRespondersError || err instanceof PicomConnectionError) {
    return EXIT_CODES.UNAVAILABLE;
  }
  if (
    err instanceof PicomOptionsError ||
    err instanceof PicomSubjectError ||
    err instanceof PicomHeaderError ||
    err instanceof PicomEncodeError ||
    err instanceof PicomPayloadTooLargeError
  ) {
    return EXIT_CODES.USAGE;
  }
  return EXIT_CODES.REMOTE;
}
