import { encodeError, errorText, failureEnvelope, type ErrorEnvelope } from '../../protocol/envelope.codec.js';

/**
 * Turns what Nest's exception filters emit into a Picom error envelope.
 * `RpcException('msg')` reaches us as `{ status: 'error', message: 'msg' }`,
 * `RpcException({ message, ...extra })` as that object: the message becomes the
 * error text and the extra fields travel beside it. Unknown exceptions were
 * already turned into "Internal server error" by the filter, so nothing leaks.
 */
export function encodeRpcError(err: unknown): string {
  return rpcErrorEnvelope(err).body;
}

/** `encodeRpcError`'s envelope beside the text it carries, for the responder. */
export function rpcErrorEnvelope(err: unknown): ErrorEnvelope {
  if (err === null || typeof err !== 'object' || err instanceof Error) {
    return encodeError(err);
  }
  const { message, status, ...rest } = err as Record<string, unknown>;
  const text = typeof message === 'string' ? message : errorText(err);
  // `status: 'error'` is the filter's own marker; any other status is the user's field.
  const fields: Record<string, unknown> = status === undefined || status === 'error' ? rest : { status, ...rest };
  return failureEnvelope(text, Object.keys(fields).length > 0 ? fields : undefined);
}

