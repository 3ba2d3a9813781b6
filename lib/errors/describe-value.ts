/**
 * Values described for messages and log lines, never echoing more than they
 * must. Internal to the core: not exported from `picom`.
 */

/**
 * A failure as one readable line for a log: an `Error`'s message, an object's
 * string `message` (Nest's exception filters hand over `{ status: 'error',
 * message }`), any other object as JSON, anything else as a string.
 */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    return err.message || String(err);
  }
  if (typeof err === 'object' && err !== null) {
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') {
      return message;
    }
    try {
      const json = JSON.stringify(err);
      if (json !== undefined) {
        return json;
      }
    } catch {
      // a cycle or a BigInt: fall through
    }
  }
  try {
    return String(err);
  } catch {
    // An object without a usable toString (null prototype): a log line must not throw.
    return Object.prototype.toString.call(err);
  }
}

/** What kind of value this is (`an object`, `a number`, `null`), for a message that must not print the value itself. */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Characters of a name or subject quoted in a message: a hostile 5,000-character one is not echoed whole. */
const QUOTED_CHARACTERS = 64;

/** `text` as a JSON string, cut to its first `QUOTED_CHARACTERS` characters and an ellipsis when longer. */
export function quote(text: string): string {
  return text.length <= QUOTED_CHARACTERS ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, QUOTED_CHARACTERS))}…`;
}
