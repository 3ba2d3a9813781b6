import { BenchFlags } from '../command-line.js';

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
  /** A run that only shows the series work (`--smoke`): its reports say so. */
  readonly smoke: boolean;
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
  const flags = BenchFlags.parse(argv, ['warmup', 'duration', 'window', 'series', 'stacks', 'max-in-flight', 'smoke'], USAGE);
  const smoke = flags.has('smoke');
  return {
    warmupMs: flags.number('warmup', smoke ? 200 : 500, { positive: true }),
    durationMs: flags.number('duration', smoke ? 500 : 2000, { positive: true }),
    windowMs: flags.number('window', smoke ? 500 : 3000, { positive: true }),
    series: flags.list('series', SERIES) as SeriesId[],
    stacks: flags.list('stacks', GROWTH_STACKS),
    smoke,
    maxInFlight: flags.number('max-in-flight', smoke ? 10_000 : Infinity, { positive: true }),
  };
}

/** Calls in flight for a payload size: the main bench's 1 000, fewer for large payloads (at least 8). */
export function payloadInFlight(bytes: number): number {
  return Math.max(8, Math.min(FANOUT_IN_FLIGHT, Math.floor(PAYLOAD_BYTES_IN_FLIGHT / bytes)));
}
