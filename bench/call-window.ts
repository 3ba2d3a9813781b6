import { EXPECTED_RESULT, type AddRequest } from './workload.js';
import { describeError } from './protocol.js';

/**
 * Keeps `inFlight` calls going: each completion starts the next one. The
 * callbacks are hoisted, so the driver adds the same small cost per call to
 * every stack: one `then` on the stack's promise.
 */
export class CallWindow {
  completed = 0;
  errors = 0;
  wrongResults = 0;
  firstError: string | undefined;
  private inFlight = 0;
  private remaining = 0;
  private onDrained: (() => void) | undefined;
  private readonly onReply = (reply: unknown): void => {
    this.completed++;
    if ((reply as { result?: unknown } | null)?.result !== EXPECTED_RESULT) this.wrongResults++;
    this.next();
  };
  private readonly onError = (err: unknown): void => {
    this.completed++;
    this.errors++;
    this.firstError ??= describeError(err);
    this.next();
  };

  constructor(
    private readonly call: (message: AddRequest) => Promise<unknown>,
    private readonly message: AddRequest,
  ) {}

  /** Starts `inFlight` parallel chains that together make `total` calls (endless by default). */
  start(inFlight: number, total = Infinity): void {
    this.remaining = total;
    for (let i = 0; i < inFlight && this.remaining > 0; i++) this.launch();
  }

  /** Starts no new calls and resolves once the ones in flight have completed. */
  stop(): Promise<void> {
    this.remaining = 0;
    return this.drained();
  }

  /** Makes `total` calls with `inFlight` in parallel and resolves when all have completed. */
  run(inFlight: number, total: number): Promise<void> {
    this.start(inFlight, total);
    return this.drained();
  }

  private drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.onDrained = resolve));
  }

  private launch(): void {
    this.remaining--;
    this.inFlight++;
    this.call(this.message).then(this.onReply, this.onError);
  }

  private next(): void {
    this.inFlight--;
    if (this.remaining > 0) {
      this.launch();
    } else if (this.inFlight === 0 && this.onDrained) {
      const resolve = this.onDrained;
      this.onDrained = undefined;
      resolve();
    }
  }
}
