/**
 * A command line the bench cannot run: printed as it is, without a stack
 * trace, and the process exits with code 2.
 */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

/**
 * The `--key` / `--key=value` command lines of `npm run bench` and
 * `npm run bench:growth`: parsed once, each error naming the usage.
 */
export class BenchFlags {
  private constructor(private readonly flags: ReadonlyMap<string, string>) {}

  /**
   * Parses `argv`; `--help` prints `usage` and exits; an argument or option not in `known` throws.
   * The options in `valued` also take their value as the next argument (`--against main`).
   */
  static parse(argv: readonly string[], known: readonly string[], usage: string, valued: readonly string[] = []): BenchFlags {
    const flags = new Map<string, string>();
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
      if (!match) throw new BenchUsageError(`Unknown argument "${arg}"\n${usage}`);
      const key = match[1]!;
      let value = match[2];
      const next = argv[i + 1];
      if (value === undefined && valued.includes(key) && next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
      flags.set(key, value ?? '');
    }
    if (flags.has('help')) {
      process.stdout.write(usage);
      process.exit(0);
    }
    for (const key of flags.keys()) {
      if (!known.includes(key)) throw new BenchUsageError(`Unknown option --${key}\n${usage}`);
    }
    return new BenchFlags(flags);
  }

  has(key: string): boolean {
    return this.flags.has(key);
  }

  get(key: string): string | undefined {
    return this.flags.get(key);
  }

  /** A number option: `fallback` when absent; negative values refused, and zero too when `positive`. */
  number(key: string, fallback: number, { positive = false }: { positive?: boolean } = {}): number {
    const raw = this.flags.get(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || (positive && value === 0)) {
      throw new BenchUsageError(`--${key} expects a ${positive ? 'positive ' : ''}number, got "${raw}"`);
    }
    return value;
  }

  /** A comma-separated pick among `all`, kept in `all`'s order; `defaults` when absent or empty. */
  list(key: string, all: readonly string[], defaults: readonly string[] = all): string[] {
    const raw = this.flags.get(key);
    if (!raw) return [...defaults];
    const picked = raw.split(',').map((s) => s.trim());
    for (const id of picked) {
      if (!all.includes(id)) throw new BenchUsageError(`--${key}: unknown "${id}" (known: ${all.join(', ')})`);
    }
    return all.filter((id) => picked.includes(id));
  }
}
