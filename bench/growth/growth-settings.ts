/** The series of the growth bench, their points, and its command line. */

export type SeriesId = 'inflight' | 'pending' | 'methods' | 'services' | 'payload';

export const SERIES: readonly SeriesId[] = ['inflight', 'pending', 'methods', 'services', 'payload'];
export const IN_FLIGHT_POINTS = [1, 100, 10_000, 100_000] as const;
export const METHOD_POINTS = [1, 10, 100, 1000] as const;
export const SERVICE_POINTS = [1, 10, 100] as const;
export const PAYLOAD_POINTS = [100, 1024, 10 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024] as const;
/** Stacks of the in-flight, pending and payload series (the fan-out series are plain Picom only). */
export const GROWTH_STACKS = ['picom-plain', 'picom-nest', 'raw-fast'] as const;
/** Calls in flight of the fan-out series: the main bench's figure. */
export const FANOUT_IN_FLIGHT = 1000;
/** Bytes in flight the payload series aims at (each way), so 1 MiB calls do not need a GiB. */
export const PAYLOAD_BYTES_IN_FLIGHT = 16 * 1024 * 1024;
/**
 * The growth bench's nats-server: 1 MiB of JSON plus Picom's headers is over
 * the default max_payload (1 MiB), and 100 000 calls in flight must not make
 * the broker drop the client as a slow consumer (max_pending defaults to 64 MiB).
 */
export const GROWTH_NATS_CONFIG = 'max_payload: 8MB\nmax_pending: 512MB\n';

export interface GrowthSettings {
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Each of the two CPU windows of a pending-calls point. */
  readonly windowMs: number;
  readonly series: readonly SeriesId[];
  readonly stacks: readonly string[];
  /** Caps the in-flight and pending points (a smoke run). */
  readonly maxInFlight: number;
}

const USAGE = `Usage: npm run bench:growth -- [options]
  --warmup=MS        unmeasured warm-up of each throughput point (default 500)
  --duration=MS      measured window of each throughput point (default 2000)
  --window=MS        each CPU window of a pending-calls point (default 3000)
  --series=a,b       only these series (${SERIES.join(', ')})
  --stacks=a,b       stacks of the inflight, pending and payload series (${GROWTH_STACKS.join(', ')})
  --max-in-flight=N  leave out in-flight and pending points above N
  --smoke            a check that everything runs, in about two minutes: short windows, points up to 10 000
`;

export function parseGrowthSettings(argv: readonly string[]): GrowthSettings {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`Unknown argument "${arg}"\n${USAGE}`);
    flags.set(match[1]!, match[2] ?? '');
  }
  if (flags.has('help')) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  for (const key of flags.keys()) {
    if (!['warmup', 'duration', 'window', 'series', 'stacks', 'max-in-flight', 'smoke'].includes(key)) throw new Error(`Unknown option --${key}\n${USAGE}`);
  }
  const smoke = flags.has('smoke');
  const num = (key: string, fallback: number): number => {
    const raw = flags.get(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${key} expects a positive number, got "${raw}"`);
    return value;
  };
  const list = (key: string, all: readonly string[]): string[] => {
    const raw = flags.get(key);
    if (!raw) return [...all];
    const picked = raw.split(',').map((s) => s.trim());
    for (const id of picked) {
      if (!all.includes(id)) throw new Error(`--${key}: unknown "${id}" (known: ${all.join(', ')})`);
    }
    return all.filter((id) => picked.includes(id));
  };
  return {
    warmupMs: num('warmup', smoke ? 200 : 500),
    durationMs: num('duration', smoke ? 500 : 2000),
    windowMs: num('window', smoke ? 500 : 3000),
    series: list('series', SERIES) as SeriesId[],
    stacks: list('stacks', GROWTH_STACKS),
    maxInFlight: num('max-in-flight', smoke ? 10_000 : Infinity),
  };
}

/** Calls in flight for a payload size: the main bench's 1 000, fewer for large payloads (at least 8). */
export function payloadInFlight(bytes: number): number {
  return Math.max(8, Math.min(FANOUT_IN_FLIGHT, Math.floor(PAYLOAD_BYTES_IN_FLIGHT / bytes)));
}
