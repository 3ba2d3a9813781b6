import type { PicomLogger } from '../interfaces/picom-logger.interface.js';

const noop = (): void => undefined;

/** The core's default logger: a library prints nothing unless asked to. */
export const SILENT_LOGGER: PicomLogger = Object.freeze({ error: noop, warn: noop, log: noop, debug: noop });
