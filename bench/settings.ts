import { BenchFlags, BenchUsageError } from './command-line.js';
import { STACKS } from './stacks/index.js';

/** One workload shape, run for every stack in every round. */
export interface Scenario {
  /** `growth`: a point of a bench/growth series, which builds its scenarios itself. */
  readonly id: 'small' | 'kib1' | 'large' | 'kib64' | 'many' | 'growth';
  readonly label: string;
  readonly clients: number;
  /** Calls in flight per client process. */
  readonly inFlight: number;
  readonly payloadBytes: number;
  /** Sequential-latency calls after the throughput phase (0: none). */
  readonly latencyWarmup: number;
  readonly latencyCalls: number;
  /** Interleaved rounds (medians are taken over them). */
  readonly rounds: number;
}

export interface Settings {
  readonly mode: 'quick' | 'full';
  /** Throughput phase: unmeasured warm-up, then the measured window, in ms. */
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly scenarios: readonly Scenario[];
  readonly stacks: readonly string[];
  /** Timeouts of the precision check (round 1 of the small scenario); empty to skip. */
  readonly timeoutCheck: readonly number[];
  /** Calls of the heap soak per Picom path; 0 to skip. */
  readonly soakCalls: number;
  /** CPU-profile the measured window of every child into this directory. */
  readonly profileDir: string | undefined;
  /** Only print the markdown of an earlier result file. */
  readonly render: string | undefined;
  /** Every scenario and every default stack: a run that may replace `results/latest.md`. */
  readonly complete: boolean;
  /**
   * A git ref whose build the Picom stacks also run on, interleaved with the
   * working tree's (an A/B run); `undefined` for an ordinary run.
   */
  readonly against: string | undefined;
}

export const TOTAL_IN_FLIGHT = 1000;
export const MANY_CLIENTS = 8;
export const LARGE_PAYLOAD = 10 * 1024;
export const KIB1_PAYLOAD = 1024;
export const KIB64_PAYLOAD = 64 * 1024;
/**
 * Calls in flight at 64 KiB: 1 000 would keep 64 MiB queued each way, the
 * nats-server's default max_pending per connection, and end in a slow-consumer
 * disconnect rather than a measurement.
 */
export const KIB64_IN_FLIGHT = 100;

const USAGE = `Usage: npm run bench -- [options]
  --quick               short run (< 1 min): 2 rounds of the main scenario, 1 of the others, short windows, no soak
  --rounds=N            rounds of every scenario (default: full 5/3/3, quick 2/1/1)
  --warmup=MS           unmeasured warm-up of each throughput phase
  --duration=MS         measured window of each throughput phase
  --stacks=a,b          only these stacks (${STACKS.map((s) => s.id).join(', ')};
                        the variants run only when named: "-sync" a synchronous handler, "-off" discovery off,
                        "-notrace" tracing: false, "-bare" both off, "-otel" an OTel SDK with a no-op exporter)
  --scenarios=a,b       only these scenarios (small, kib1, large, kib64, many)
  --soak / --no-soak    heap soak of the Picom paths (default: on in full mode)
  --soak-calls=N        calls per soak (default 1000000)
  --profile[=DIR]       CPU-profile the measured window of every child (default /tmp/picom-bench-profiles)
  --render=FILE         print the tables of an earlier bench/results/*.json (ab-*.json too) and exit
  --against REF         A/B: build git REF in a temporary worktree and run the Picom stacks on its package too,
                        interleaved with the working tree's; writes bench/results/ab-<time>.{md,json}
`;

export function parseSettings(argv: readonly string[]): Settings {
  const known = ['quick', 'rounds', 'warmup', 'duration', 'stacks', 'scenarios', 'soak', 'no-soak', 'soak-calls', 'profile', 'render', 'against'];
  const flags = BenchFlags.parse(argv, known, USAGE, ['against']);
  const against = flags.get('against');
  if (against !== undefined && against.trim() === '') {
    throw new BenchUsageError('--against expects a git ref (a commit, branch or tag), e.g. --against main');
  }
  const quick = flags.has('quick');

  const rounds = (full: number, short: number): number =>
    flags.has('rounds') ? Math.max(1, Math.round(flags.number('rounds', 1))) : quick ? short : full;
  const scenarios: Scenario[] = [
    {
      id: 'small',
      label: `add({a,b}), 1 client, ${TOTAL_IN_FLIGHT} in flight`,
      clients: 1,
      inFlight: TOTAL_IN_FLIGHT,
      payloadBytes: 0,
      latencyWarmup: quick ? 150 : 2000,
      latencyCalls: quick ? 600 : 10000,
      rounds: rounds(5, 2),
    },
    payloadScenario('kib1', KIB1_PAYLOAD, TOTAL_IN_FLIGHT, quick ? 0 : 1000, quick ? 0 : 2000, rounds(3, 1)),
    payloadScenario('large', LARGE_PAYLOAD, TOTAL_IN_FLIGHT, quick ? 0 : 1000, quick ? 0 : 2000, rounds(3, 1)),
    payloadScenario('kib64', KIB64_PAYLOAD, KIB64_IN_FLIGHT, quick ? 0 : 200, quick ? 0 : 500, rounds(3, 1)),
    {
      id: 'many',
      label: `add({a,b}), ${MANY_CLIENTS} client processes, ${TOTAL_IN_FLIGHT / MANY_CLIENTS} in flight each`,
      clients: MANY_CLIENTS,
      inFlight: TOTAL_IN_FLIGHT / MANY_CLIENTS,
      payloadBytes: 0,
      latencyWarmup: 0,
      latencyCalls: 0,
      rounds: rounds(3, 1),
    },
  ];
  const scenarioIds = flags.list('scenarios', scenarios.map((s) => s.id));
  const defaultStacks = STACKS.filter((s) => !s.optional).map((s) => s.id);
  const stacks = flags.list('stacks', STACKS.map((s) => s.id), defaultStacks);
  const soak = quick ? flags.has('soak') : !flags.has('no-soak');
  const profile = flags.get('profile');
  return {
    mode: quick ? 'quick' : 'full',
    warmupMs: flags.number('warmup', quick ? 150 : 1500),
    durationMs: Math.max(100, flags.number('duration', quick ? 500 : 3000)),
    scenarios: scenarios.filter((s) => scenarioIds.includes(s.id)),
    stacks,
    timeoutCheck: quick ? [100, 150, 200] : [100, 250, 500],
    soakCalls: soak ? Math.round(flags.number('soak-calls', 1_000_000)) : 0,
    profileDir: profile === undefined ? undefined : profile || '/tmp/picom-bench-profiles',
    render: flags.get('render') || undefined,
    complete: scenarioIds.length === scenarios.length && defaultStacks.every((id) => stacks.includes(id)),
    against: against?.trim(),
  };
}

/** A request/reply of `bytes` each way from one client process. */
function payloadScenario(
  id: Scenario['id'],
  bytes: number,
  inFlight: number,
  latencyWarmup: number,
  latencyCalls: number,
  rounds: number,
): Scenario {
  return {
    id,
    label: `${bytes / 1024} KiB request and reply, 1 client, ${inFlight} in flight`,
    clients: 1,
    inFlight,
    payloadBytes: bytes,
    latencyWarmup,
    latencyCalls,
    rounds,
  };
}
