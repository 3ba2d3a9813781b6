import { fork, type ChildProcess } from 'node:child_process';
import type { ChildMessage, ParentMessage } from './protocol.js';

interface Waiter {
  accept: (message: ChildMessage) => boolean;
  resolve: (message: ChildMessage) => void;
  reject: (err: Error) => void;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

/** One forked benchmark process and the messages it sends over IPC. */
export class Child {
  private readonly proc: ChildProcess;
  private readonly inbox: ChildMessage[] = [];
  private readonly waiters: Waiter[] = [];
  private exitError: Error | undefined;
  readonly exited: Promise<void>;
  /** Called for every `want-mark` (soak clients ask for marks themselves). */
  onWantMark: ((label: string) => void) | undefined;

  constructor(
    readonly name: string,
    file: string,
    config: unknown,
    execArgv: string[],
  ) {
    this.proc = fork(file, [JSON.stringify(config)], {
      execArgv,
      // A child's stdout goes to our stderr: stdout carries the table only.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    live.add(this.proc);
    this.proc.on('message', (message: ChildMessage) => this.receive(message));
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        live.delete(this.proc);
        if (code !== 0) {
          this.fail(new Error(`${name} exited with ${signal ?? `code ${code}`}`));
        } else {
          this.fail(new Error(`${name} exited before sending what was expected`));
        }
        resolve();
      });
    });
  }

  send(message: ParentMessage): void {
    if (this.proc.connected) this.proc.send(message);
  }

  /** The next message of `type` (already received or to come); rejects if the process dies first. */
  next<T extends ChildMessage['type']>(type: T, timeoutMs = 120_000): Promise<Extract<ChildMessage, { type: T }>> {
    const index = this.inbox.findIndex((m) => m.type === type);
    if (index >= 0) {
      return Promise.resolve(this.inbox.splice(index, 1)[0] as Extract<ChildMessage, { type: T }>);
    }
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        accept: (m) => m.type === type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ChildMessage, { type: T }>);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Lets the process finish on its own, but not for longer than `graceMs`. */
  release(graceMs = 5_000): void {
    setTimeout(() => this.kill(), graceMs).unref();
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }

  private receive(message: ChildMessage): void {
    if (message.type === 'want-mark') {
      this.onWantMark?.(message.label);
      return;
    }
    const index = this.waiters.findIndex((w) => w.accept(message));
    if (index >= 0) {
      this.waiters.splice(index, 1)[0]!.resolve(message);
    } else {
      this.inbox.push(message);
    }
  }

  private fail(err: Error): void {
    this.exitError = err;
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
  }
}
