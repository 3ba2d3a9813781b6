/**
 * Where the core reports what it cannot throw (a handler failing on a publish,
 * a reconnect). Shaped like Nest's `LoggerService`, so a Nest `Logger` fits as is.
 *
 * @publicApi
 */
export interface PicomLogger {
  error(message: unknown, ...optionalParams: unknown[]): unknown;
  warn(message: unknown, ...optionalParams: unknown[]): unknown;
  log(message: unknown, ...optionalParams: unknown[]): unknown;
  debug?(message: unknown, ...optionalParams: unknown[]): unknown;
}
