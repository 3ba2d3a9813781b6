import { spawn } from 'node:child_process';

/**
 * What every check of the compat run gives back, and the one way it runs a
 * child process (output kept, a hang killed). Imported by the checks and the
 * runner only; running it on its own does nothing.
 */

export type CheckStatus = 'pass' | 'fail' | 'skipped';

export interface CheckResult {
  readonly status: CheckStatus;
  /** One line for the summary: counts, what was loaded, why it skipped. */
  readonly note: string;
  /** What to show under the table when the check failed. */
  readonly details?: string;
}

export interface ProcessRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** SIGKILL after this many ms. */
  readonly timeout: number;
}

/** Runs `file args` to its end and resolves with its output; a timeout ends it with SIGKILL (code null). */
export function runProcess(file: string, args: readonly string[], options: RunOptions): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last `lines` lines of `text`, for a failure's details. */
export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
