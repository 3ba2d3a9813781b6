import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';

/** Lines kept per process, for failure reports and log checks. */
const KEPT_LINES = 2_000;
/** How long a process gets to exit after SIGTERM before SIGKILL. */
const STOP_TIMEOUT_MS = 10_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child process the demo started: its output split into lines and kept,
 * a way to wait for a line, and a stop that always ends with the process gone.
 */
export class ManagedProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  private readonly events = new EventEmitter();
  private exit: Exit | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    echo: boolean,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.events.emit('exit', this.exit);
        resolve(this.exit);
      });
    });
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          this.addLine(line, echo);
        }
      });
      stream?.on('end', () => partial && this.addLine(partial, echo));
    }
  }

  /**
   * Spawns `command`; resolves once it runs, rejects when it cannot be started
   * (ENOENT, EACCES) with the spawn error.
   */
  static start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, echo = false): Promise<ManagedProcess> {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(new ManagedProcess(name, child, echo)));
      child.once('error', reject);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The last `count` lines of output. */
  tail(count = 15): string[] {
    return this.lines.slice(-count);
  }

  /** SIGTERM, then SIGKILL after a while; resolves once the process is gone. */
  async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<Exit> {
    if (this.exit) {
      return this.exit;
    }
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Last resort, synchronous: for `process.on('exit')`. */
  killNow(): void {
    if (this.running) {
      this.child.kill('SIGKILL');
    }
  }

  onLine(listener: (line: string) => void): () => void {
    this.events.on('line', listener);
    return () => this.events.off('line', listener);
  }

  onExit(listener: (exit: Exit) => void): () => void {
    this.events.on('exit', listener);
    return () => this.events.off('exit', listener);
  }

  private addLine(line: string, echo: boolean): void {
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) {
      this.lines.shift();
    }
    if (echo) {
      console.log(`      | ${this.name}: ${line}`);
    }
    this.events.emit('line', line);
  }
}

/**
 * Resolves with the first process (and line) whose output matches `pattern`,
 * looking at what was already printed too. Rejects after `timeoutMs`, or
 * when every process has exited without printing it.
 */
export function waitForLine(
  processes: ManagedProcess[],
  pattern: RegExp,
  timeoutMs: number,
): Promise<{ process: ManagedProcess; line: string }> {
  for (const process of processes) {
    const line = process.lines.find((l) => pattern.test(l));
    if (line !== undefined) {
      return Promise.resolve({ process, line });
    }
  }
  return new Promise((resolve, reject) => {
    const unsubscribe: (() => void)[] = [];
    const finish = (fn: () => void): void => {
      clearTimeout(timer);
      unsubscribe.forEach((off) => off());
      fn();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms`))),
      timeoutMs,
    );
    for (const process of processes) {
      unsubscribe.push(
        process.onLine((line) => {
          if (pattern.test(line)) finish(() => resolve({ process, line }));
        }),
        process.onExit(({ code, signal }) => {
          if (processes.every((p) => !p.running)) {
            finish(() => reject(new Error(`${process.name} exited (code ${code}, signal ${signal}) without printing ${pattern}`)));
          }
        }),
      );
    }
    if (processes.every((p) => !p.running)) {
      finish(() => reject(new Error(`${processes.map((p) => p.name).join(', ')} not running`)));
    }
  });
}
