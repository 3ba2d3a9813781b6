/**
 * Base class of every error Picom raises, so callers can tell transport
 * failures from their own with one `instanceof`.
 *
 * @publicApi
 */
export class PicomError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    // Not enumerable, as on built-in errors: enumerable fields are what an
    // envelope carries when the error travels back to a caller.
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true, writable: true });
  }
}
