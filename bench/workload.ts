/**
 * The call every stack makes: `add({ a, b })` answered with `{ result: a + b }`.
 * Shared by all stacks so that they do exactly the same work around the wire.
 */

/** Service (subject prefix) and method: every stack serves `bench.add`. */
export const SERVICE = 'bench';
export const METHOD = 'add';
export const SUBJECT = `${SERVICE}.${METHOD}`;
/** A method that never answers, for the timeout-precision check. */
export const NEVER_METHOD = 'never';
export const NEVER_SUBJECT = `${SERVICE}.${NEVER_METHOD}`;
/** Per-call timeout of the benchmark's calls: far above any latency seen, never hit. */
export const CALL_TIMEOUT_MS = 10_000;

export interface AddRequest {
  a: number;
  b: number;
  /** Filler for the large-payload run; echoed back in the reply. */
  pad?: string;
}

export interface AddReply {
  result: number;
  pad?: string;
}

/**
 * Calls served by this process, read by the server's marks. Kept on
 * `globalThis` so that a stack loaded from another build (an A/B comparison
 * against an older tree) counts into the same place.
 */
export const served: { calls: number } = ((globalThis as Record<symbol, unknown>)[Symbol.for('picom.bench.served')] ??= {
  calls: 0,
}) as { calls: number };

/** The method itself. The reply echoes `pad`, so a 10 KiB run moves 10 KiB each way. */
export function add(message: AddRequest): AddReply {
  served.calls++;
  return message.pad === undefined ? { result: message.a + message.b } : { result: message.a + message.b, pad: message.pad };
}

/** The request of a run: `{ a: 2, b: 5 }`, padded to about `bytes` of JSON when `bytes` is larger. */
export function makeRequest(bytes: number): AddRequest {
  const small: AddRequest = { a: 2, b: 5 };
  const base = JSON.stringify(small).length;
  if (bytes <= base) {
    return small;
  }
  // `,"pad":""` adds 9 characters around the filler.
  return { a: 2, b: 5, pad: 'x'.repeat(Math.max(0, bytes - base - 9)) };
}

export const EXPECTED_RESULT = 7;

/** A promise that never settles: the `never` method's answer. */
export function never(): Promise<never> {
  return new Promise<never>(() => undefined);
}
