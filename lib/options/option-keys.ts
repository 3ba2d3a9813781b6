import { PicomOptionsError } from '../errors/index.js';
import type { PicomConnectionOptions, PicomServeOptions } from '../interfaces/picom-options.interface.js';
import { FOREIGN_OPTION_HINTS, OPTION_MESSAGES } from './constants.js';

/**
 * Which endpoint the options are for: `'picom'` (plain `Picom`), `'server'`
 * (`PicomServer`, which adds `service`) or `'client'` (`PicomClient`, which
 * serves nothing and so takes connection options only).
 */
export type PicomEndpointKind = 'picom' | 'server' | 'client';

// Typed as records over the interfaces' keys so that an option added to an
// interface and not here (or the reverse) fails to compile.
const CONNECTION_KEYS: Readonly<Record<keyof PicomConnectionOptions, true>> = Object.freeze({
  servers: true,
  timeout: true,
  retries: true,
  connectTimeout: true,
  maxHeaderBytes: true,
  maxHeaderCount: true,
  ttl: true,
  port: true,
  token: true,
  user: true,
  pass: true,
  authenticator: true,
  tls: true,
  inboxPrefix: true,
  name: true,
  tracing: true,
  logger: true,
});
const SERVE_KEYS: Readonly<Record<keyof PicomServeOptions, true>> = Object.freeze({
  gracePeriod: true,
  handlerTimeout: true,
  maxConcurrency: true,
  maxQueued: true,
  discovery: true,
  version: true,
  description: true,
  metadata: true,
});
const VALID_KEYS: Readonly<Record<PicomEndpointKind, readonly string[]>> = Object.freeze({
  picom: Object.freeze([...Object.keys(CONNECTION_KEYS), ...Object.keys(SERVE_KEYS)]),
  server: Object.freeze(['service', ...Object.keys(CONNECTION_KEYS), ...Object.keys(SERVE_KEYS)]),
  client: Object.freeze(Object.keys(CONNECTION_KEYS)),
});
const ENDPOINT_NAMES: Readonly<Record<PicomEndpointKind, string>> = Object.freeze({
  picom: 'Picom',
  server: 'PicomServer',
  client: 'PicomClient',
});

/**
 * Refuses every key that is not an option of `endpoint`, whatever its value:
 * a typo is a typo. The error names the first key with the best hint there is
 * (where the option belongs, what Picom offers instead, or the likely spelling)
 * and lists the others.
 */
export function refuseUnknownKeys(options: object, endpoint: PicomEndpointKind): void {
  const valid = VALID_KEYS[endpoint];
  const refused = Object.keys(options).filter((key) => !valid.includes(key));
  const [first, ...others] = refused;
  if (first === undefined) {
    return;
  }
  const message = refusal(first, endpoint, valid);
  throw new PicomOptionsError(others.length === 0 ? message : message + OPTION_MESSAGES.alsoRefused(others));
}

function refusal(key: string, endpoint: PicomEndpointKind, valid: readonly string[]): string {
  if (endpoint === 'client' && Object.hasOwn(SERVE_KEYS, key)) {
    return OPTION_MESSAGES.serveOptionOnClient(key);
  }
  if (key === 'service') {
    return endpoint === 'client' ? OPTION_MESSAGES.serviceOnClient : OPTION_MESSAGES.serviceOnPicom;
  }
  const hint = Object.hasOwn(FOREIGN_OPTION_HINTS, key) ? FOREIGN_OPTION_HINTS[key] : undefined;
  if (hint !== undefined) {
    return OPTION_MESSAGES.foreignOption(key, ENDPOINT_NAMES[endpoint], hint);
  }
  return OPTION_MESSAGES.unknownOption(key, ENDPOINT_NAMES[endpoint], closest(key, valid), valid);
}

// The valid key a typo most likely meant: within 1 edit for short keys (more
// would suggest unrelated words), 2 for longer ones; on a tie, the one sharing
// more letters (`tsl` is `tls`, not `ttl`).
function closest(key: string, valid: readonly string[]): string | undefined {
  const typed = key.toLowerCase();
  const limit = typed.length < 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  let bestShared = 0;
  for (const candidate of valid) {
    const lower = candidate.toLowerCase();
    const distance = editDistance(typed, lower, limit);
    const shared = distance <= limit ? sharedLetters(typed, lower) : 0;
    if (distance < bestDistance || (distance === bestDistance && shared > bestShared)) {
      best = candidate;
      bestDistance = distance;
      bestShared = shared;
    }
  }
  return best;
}

function sharedLetters(a: string, b: string): number {
  const left = [...b];
  let shared = 0;
  for (const letter of a) {
    const index = left.indexOf(letter);
    if (index !== -1) {
      left.splice(index, 1);
      shared++;
    }
  }
  return shared;
}

// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`; a
// swap counts as one edit because transposed letters are the commonest typo.
// Anything past `limit` is reported as `limit + 1`.
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) {
    return limit + 1;
  }
  // Three rows suffice: a swap looks two rows back.
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, beforePrevious[j - 2]! + 1);
      }
      current.push(value);
    }
    beforePrevious = previous;
    previous = current;
  }
  return Math.min(previous[b.length]!, limit + 1);
}
