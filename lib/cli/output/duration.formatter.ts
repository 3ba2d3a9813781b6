/** Milliseconds as people read them: `850 µs`, `4.20 ms`, `35.1 ms`, `1.25 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Nanoseconds (the micro protocol's unit) as people read them. */
export function formatNs(ns: number): string {
  return formatMs(ns / 1e6);
}
