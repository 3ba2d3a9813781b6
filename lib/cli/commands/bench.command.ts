import type { Picom } from '../../picom.js';
import type { PicomRequestOptions } from '../../interfaces/picom-options.interface.js';
import { parseCount, parseDuration } from '../cli.arguments.js';
import type { CliCommand, CliContext } from '../cli.command.js';
import {
  BENCH_PROGRESS_INTERVAL,
  CLI_HELP,
  CLI_MESSAGES,
  DEFAULT_BENCH_CONCURRENCY,
  DEFAULT_BENCH_DURATION,
  DEFAULT_CLI_CALL_TIMEOUT,
  EXIT_CODES,
} from '../constants.js';
import { parseHeaders } from '../input/headers.parser.js';
import { readMessage } from '../input/message.reader.js';
import { formatMs } from '../output/duration.formatter.js';
import { formatJson, formatPairs } from '../output/table.formatter.js';
import { subjectArgument, withPicom } from './command.helpers.js';

/** What a bench measured; latencies in milliseconds, of the calls that succeeded. */
export interface BenchResult {
  subject: string;
  concurrency: number;
  duration_ms: number;
  calls: number;
  errors: number;
  calls_per_second: number;
  latency_ms: { p50: number; p99: number; max: number };
  last_error?: string;
}

export const benchCommand: CliCommand = {
  name: 'bench',
  help: CLI_HELP.bench,
  flags: ['duration', 'concurrency', 'timeout', 'header', 'json'],
  args: { min: 1, max: 2, missing: 'a subject, <service>.<method>' },
  async run(context) {
    const subject = subjectArgument(context);
    const duration = parseDuration('duration', context.values.duration, DEFAULT_BENCH_DURATION);
    const concurrency = parseCount('concurrency', context.values.concurrency, DEFAULT_BENCH_CONCURRENCY);
    const timeout = parseDuration('timeout', context.values.timeout, DEFAULT_CLI_CALL_TIMEOUT);
    const headers = parseHeaders(context.values.header);
    const message = await readMessage(context.args[1], context.io.stdin);
    const options: PicomRequestOptions = headers === undefined ? { timeout } : { timeout, headers };
    return withPicom(context, timeout, async (picom) => {
      // One call alone first: a wrong subject or an unreachable NATS ends here, with its exit code.
      await picom.request(subject, message, options);
      const result = await measure(context, picom, { subject, message, options, duration, concurrency });
      context.io.stdout.write(context.values.json ? formatJson(result) : report(result));
      return EXIT_CODES.OK;
    });
  },
};

interface BenchPlan {
  subject: string;
  message: unknown;
  options: PicomRequestOptions;
  duration: number;
  concurrency: number;
}

async function measure(context: CliContext, picom: Picom, plan: BenchPlan): Promise<BenchResult> {
  const latencies: number[] = [];
  let errors = 0;
  let lastError: string | undefined;
  const started = performance.now();
  const end = started + plan.duration;
  const progress = setInterval(() => {
    const elapsed = performance.now() - started;
    context.io.stderr.write(`${CLI_MESSAGES.benchProgress(elapsed / 1000, latencies.length, (latencies.length * 1000) / elapsed, errors)}\n`);
  }, BENCH_PROGRESS_INTERVAL);
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const before = performance.now();
      try {
        await picom.request(plan.subject, plan.message, plan.options);
        latencies.push(performance.now() - before);
      } catch (err) {
        errors++;
        lastError = err instanceof Error ? err.message : String(err);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: plan.concurrency }, loop));
  } finally {
    clearInterval(progress);
  }
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const result: BenchResult = {
    subject: plan.subject,
    concurrency: plan.concurrency,
    duration_ms: Math.round(elapsed),
    calls: latencies.length,
    errors,
    calls_per_second: Math.round((latencies.length * 1000) / elapsed),
    latency_ms: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1) ?? 0 },
  };
  if (lastError !== undefined) result.last_error = lastError;
  return result;
}

/** Nearest-rank percentile of sorted values; 0 when there are none. */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function report(result: BenchResult): string {
  const pairs: [string, string][] = [
    ['subject', result.subject],
    ['duration', formatMs(result.duration_ms)],
    ['concurrency', String(result.concurrency)],
    ['calls', String(result.calls)],
    ['errors', String(result.errors)],
    ['calls/s', String(result.calls_per_second)],
    ['p50', formatMs(result.latency_ms.p50)],
    ['p99', formatMs(result.latency_ms.p99)],
    ['max', formatMs(result.latency_ms.max)],
  ];
  if (result.last_error !== undefined) pairs.push(['last error', result.last_error]);
  return formatPairs(pairs);
}
