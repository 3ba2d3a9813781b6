import { WIRE_MESSAGES } from '../constants.js';

/** The start of the wire's `Method not found "<method>"` text, without the quoted name. */
const METHOD_NOT_FOUND = WIRE_MESSAGES.methodNotFound('').slice(0, -2);

/**
 * Whether an error text is a service's answer for a method it does not serve.
 * The wire carries only the text (old Picom processes send the same one), so
 * this is the one place that reads it.
 */
export function isMethodNotFound(text: string): boolean {
  return text.startsWith(METHOD_NOT_FOUND);
}
