import { quote } from '../errors/describe-value.js';

/** Why a name or subject has a byte limit: the reason every over-the-limit text gives. */
export const CONTROL_LINE =
  "so that it fits in nats-server's control line (4 KiB by default; the server closes a connection that sends a longer line)";

/** Texts of subjects, method names, header blocks and replies refused by the protocol's rules. */
export const PROTOCOL_MESSAGES = {
  invalidSubject: (subject: string) =>
    `Invalid Picom subject ${quote(subject)}: expected "<service>.<method>", two non-empty tokens without spaces or wildcards`,
  subjectTooLong: (subject: string, bytes: number, limit: number) =>
    `Picom subject ${quote(subject)} is ${bytes} bytes, over the ${limit}-byte limit on a subject (UTF-8), ${CONTROL_LINE}; nothing was sent`,
  invalidPattern: (pattern: string) =>
    `Invalid Picom pattern ${quote(pattern)}: a handler pattern must be one method name, without ".", "*", ">" or spaces`,
  methodNameTooLong: (method: string, bytes: number, limit: number) =>
    `Invalid Picom pattern ${quote(method)}: ${bytes} bytes, over the ${limit}-byte limit on a method name (UTF-8), ${CONTROL_LINE}`,
  unserializable: (what: string, reason: string) => `Cannot encode ${what} as JSON: ${reason}`,
  errorNotString: (kind: string) =>
    `its "error" field is ${kind}, not a string (the value is on this error's "raw" property)`,
  /** What `headerOverflow()` reports; each names the option that was exceeded. */
  headerBytesOver: (bytes: number, limit: number) => `${bytes} bytes of headers, more than the ${limit} allowed (maxHeaderBytes)`,
  headerLinesOver: (lines: number, limit: number) => `${lines} header lines, more than the ${limit} allowed (maxHeaderCount)`,
  /** Logged by every responder (service methods and discovery) when a reply cannot be published. */
  replyFailed: (subject: string, reason: string) => `Picom: cannot reply to ${subject}: ${reason}`,
} as const;

/** The status NATS puts in the header of a no-responders reply. */
export const NO_RESPONDERS_STATUS = 503;
