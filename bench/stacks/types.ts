import type { AddRequest } from '../workload.js';

/** A running server of one stack. */
export interface BenchServer {
  close(): Promise<void>;
}

/** A connected client of one stack. */
export interface BenchClient {
  /** Calls `bench.add` and resolves with the reply's payload (`{ result }`). */
  call(message: AddRequest): Promise<unknown>;
  /**
   * Calls `bench.never` with a `timeoutMs` timeout, for the timeout-precision
   * check; absent when the stack has no per-call timeout (Nest's NATS transport).
   */
  callNever?(timeoutMs: number): Promise<unknown>;
  close(): Promise<void>;
}

/** A `*.server.ts` module. */
export interface ServerModule {
  startServer(url: string): Promise<BenchServer>;
}

/** A `*.client.ts` module. */
export interface ClientModule {
  createClient(url: string): Promise<BenchClient>;
}
