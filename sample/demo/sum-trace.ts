import type { SpanLine } from '../tracing/span-line.js';

/**
 * What the trace of `GET /sum` lacks, or `undefined` when it has it all:
 * GET /sum (gateway, server) → service2.sum (gateway, client) → service2.sum
 * (legacy, server) → `adds` × service1.add (legacy, client) → service1.add
 * (a math instance, server). Span names are matched loosely (`sum`, `add`)
 * so that `service2.sum` and `service2/sum` both count.
 */
export function sumTraceProblem(spans: readonly SpanLine[], adds: number): string | undefined {
  const childrenOf = (parent: SpanLine, kind: SpanLine['kind'], method: RegExp, where: (process: string) => boolean): SpanLine[] =>
    spans.filter((s) => s.parentSpanId === parent.spanId && s.kind === kind && method.test(s.name) && where(s.process));
  const roots = spans.filter((s) => s.parentSpanId === undefined);
  const root = roots.find((s) => s.kind === 'server' && s.process === 'gateway' && /^GET \/sum/.test(s.name));
  if (!root) return 'no "GET /sum" server span from the gateway at the root';
  const [sumClient] = childrenOf(root, 'client', /\bsum\b/, (p) => p === 'gateway');
  if (!sumClient) return 'no service2.sum client span under GET /sum: is Picom tracing its calls (@opentelemetry/api installed, tracing not off)?';
  const [sumServer] = childrenOf(sumClient, 'server', /\bsum\b/, (p) => p === 'legacy');
  if (!sumServer) return 'no service2.sum server span from legacy under the gateway\'s client span: traceparent not carried, or not extracted';
  const addClients = childrenOf(sumServer, 'client', /\badd\b/, (p) => p === 'legacy');
  if (addClients.length !== adds) return `expected ${adds} service1.add client spans under service2.sum's server span, found ${addClients.length}: does the handler run in the caller's context?`;
  const unserved = addClients.filter((add) => childrenOf(add, 'server', /\badd\b/, (p) => p.startsWith('math')).length !== 1);
  if (unserved.length > 0) return `${unserved.length} of the service1.add client spans have no server span from a math instance under them`;
  if (roots.length !== 1) return `expected one root span, found ${roots.length}: ${roots.map((s) => `${s.name} (${s.process})`).join(', ')}`;
  return undefined;
}
