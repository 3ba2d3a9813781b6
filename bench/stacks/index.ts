/** The stacks under test, in the order they run within a round. */
export interface StackInfo {
  /** Short id used on the command line and in the JSON. */
  readonly id: string;
  /** What the table shows. */
  readonly label: string;
  /** Module under `bench/stacks/` exporting `startServer`. */
  readonly server: string;
  /** Module under `bench/stacks/` exporting `createClient`. */
  readonly client: string;
  /** Runs only when named in `--stacks`: a variant measured on demand. */
  readonly optional?: boolean;
}

export const STACKS: readonly StackInfo[] = [
  { id: 'raw-fast', label: 'raw nats.js, noAsyncTraces (limit)', server: 'raw.server.js', client: 'raw-fast.client.js' },
  { id: 'raw-default', label: 'raw nats.js, defaults', server: 'raw.server.js', client: 'raw-default.client.js' },
  { id: 'nest-nats', label: 'Nest Transport.NATS', server: 'nest-nats.server.js', client: 'nest-nats.client.js' },
  { id: 'picom-nest', label: 'Picom, Nest path', server: 'picom-nest.server.js', client: 'picom-nest.client.js' },
  { id: 'picom-plain', label: 'Picom, plain path', server: 'picom-plain.server.js', client: 'picom-plain.client.js' },
  { id: 'picom-nest-off', label: 'Picom, Nest path, discovery off', server: 'picom-nest-off.server.js', client: 'picom-nest.client.js', optional: true },
  { id: 'picom-plain-off', label: 'Picom, plain path, discovery off', server: 'picom-plain-off.server.js', client: 'picom-plain.client.js', optional: true },
  // The default handlers are `async`, as users write them; these return the value directly.
  { id: 'picom-nest-sync', label: 'Picom, Nest path, synchronous handler', server: 'picom-nest-sync.server.js', client: 'picom-nest.client.js', optional: true },
  { id: 'picom-plain-sync', label: 'Picom, plain path, synchronous handler', server: 'picom-plain-sync.server.js', client: 'picom-plain.client.js', optional: true },
  // The default Picom stacks are "API installed, no SDK registered".
  { id: 'picom-nest-notrace', label: 'Picom, Nest path, tracing off', server: 'picom-nest-notrace.server.js', client: 'picom-nest-notrace.client.js', optional: true },
  { id: 'picom-plain-notrace', label: 'Picom, plain path, tracing off', server: 'picom-plain-notrace.server.js', client: 'picom-plain-notrace.client.js', optional: true },
  { id: 'picom-nest-otel', label: 'Picom, Nest path, OTel SDK (no-op exporter)', server: 'picom-nest-otel.server.js', client: 'picom-nest-otel.client.js', optional: true },
  { id: 'picom-plain-otel', label: 'Picom, plain path, OTel SDK (no-op exporter)', server: 'picom-plain-otel.server.js', client: 'picom-plain-otel.client.js', optional: true },
  // Both off: the reference for "discovery on and tracing present without an SDK".
  { id: 'picom-nest-bare', label: 'Picom, Nest path, discovery and tracing off', server: 'picom-nest-bare.server.js', client: 'picom-nest-notrace.client.js', optional: true },
  { id: 'picom-plain-bare', label: 'Picom, plain path, discovery and tracing off', server: 'picom-plain-bare.server.js', client: 'picom-plain-notrace.client.js', optional: true },
];

/** The stack every ratio is taken against. */
export const BASELINE = 'raw-fast';

/** Whether the stack runs Picom (and so runs on both builds of an A/B run). */
export function usesPicom(stack: StackInfo): boolean {
  return stack.id.startsWith('picom');
}

export function findStack(id: string): StackInfo {
  const stack = STACKS.find((s) => s.id === id);
  if (!stack) {
    throw new Error(`Unknown stack "${id}"; known: ${STACKS.map((s) => s.id).join(', ')}`);
  }
  return stack;
}
