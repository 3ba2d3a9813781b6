// First: with PICOM_DEMO_TRACE=1, an OpenTelemetry SDK is registered before any Picom endpoint exists.
import '../../tracing/register-tracing.js';
import { randomUUID } from 'node:crypto';
import { Picom, PicomReplyError } from 'picom';

/**
 * The `legacy` sample: a plain Node service on the core `Picom` class, no
 * Nest, written like the original Picom quick start. It serves `service2`
 * and calls the Nest `math` sample (`service1`) like any other service.
 *
 *   PICOM_SERVERS  NATS servers, comma-separated (default 127.0.0.1:4222)
 *   PICOM_DEMO_TRACE=1  trace: spans printed as `otel-span` lines (see sample/tracing)
 */
// No `servers`: every Picom endpoint reads PICOM_SERVERS, else 127.0.0.1:4222.
const service2 = new Picom('service2', { version: '1.0.0', description: 'plain Picom (sample/legacy)' });

await service2.expose({
  // Called by the Nest gateway: Nest → plain Picom.
  multiply: async (msg: { a: unknown; b: unknown }) => {
    const [a, b] = numbers(msg?.a, msg?.b);
    return { result: a * b };
  },

  // Calls the Nest math service: plain Picom → Nest. Then tells it with an event.
  sum: async (msg: { values: unknown }) => {
    const values = numbers(...(Array.isArray(msg?.values) ? msg.values : [msg?.values]));
    let total = 0;
    for (const value of values) {
      ({ result: total } = await service2.request<{ result: number }>('service1.add', { a: total, b: value }));
    }
    const audit = randomUUID();
    await service2.publish('service1.audit', { id: audit, source: 'service2', text: `sum of ${values.join(', ')} is ${total}` });
    return { result: total, calls: values.length, audit };
  },
});

// A rejection becomes the caller's error. A plain Error gives {"error":"Invalid input: ..."}
// as the original Picom did; a PicomReplyError also carries its fields:
// {"error":"Invalid input: ...","code":"INVALID_ARGUMENT"}, which the gateway maps to 400.
function numbers(...values: unknown[]): number[] {
  for (const value of values) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const text = `Invalid input: expected finite numbers, got ${JSON.stringify(value) ?? 'nothing'}`;
      throw new PicomReplyError(text, { code: 'INVALID_ARGUMENT' });
    }
  }
  return values as number[];
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void service2.close().then(() => process.exit(0));
  });
}
console.log(`service2 ready: plain Picom, pid ${process.pid}`);
