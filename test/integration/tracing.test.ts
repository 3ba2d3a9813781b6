import 'reflect-metadata';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { Controller, Get, Inject, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, MessagePattern, Payload, type ClientProxy } from '@nestjs/microservices';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { lastValueFrom } from 'rxjs';
import { Picom, PicomNoRespondersError, PicomRemoteError, PicomTimeoutError } from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { createNestService, closeAll, type NestService } from '../fixtures/nest-app.fixture.js';
import { outcome } from '../fixtures/picom-test.helpers.js';
import { rawConnect, sleep, startOldPicom } from '../fixtures/raw-nats.fixture.js';
import { oneSpan, points, registerOtelSdk, spansNamed, type OtelSdk } from '../fixtures/otel.fixture.js';

/**
 * OpenTelemetry across hops on a real nats-server, with the SDK's in-memory
 * exporter: HTTP → gateway (Nest HTTP app, PicomClient) → Nest service
 * (PicomServer) → plain Picom service, one trace; error spans; a legacy peer
 * in the path; metrics and their cardinality; `tracing: false`.
 */

const GATEWAY_CLIENT = 'NESTSVC';
const INNER = Symbol('inner caller');
const test = trace.getTracer('tracing-test');

/** Trace headers the plain service's handlers saw, latest last. */
const seenTraceparents: (string | undefined)[] = [];
const notes: unknown[] = [];

@Controller()
class NestServiceController {
  constructor(@Inject(INNER) private readonly inner: Picom) {}

  @MessagePattern('sum')
  async sum(@Payload() data: { a: number; b: number }): Promise<number> {
    // An await before the call: the context must cross it.
    await sleep(1);
    return this.inner.request<number>('plain.add', data);
  }

  @MessagePattern('legacy')
  legacy(@Payload() data: unknown): Promise<unknown> {
    return this.inner.request('old.echo', data);
  }
}

@Controller()
class GatewayController {
  constructor(@Inject(GATEWAY_CLIENT) private readonly client: ClientProxy) {}

  /** An HTTP server span made by hand (instrumentation-http is not installed), then the calls under it. */
  @Get('sum')
  sum(): Promise<number> {
    return test.startActiveSpan('GET /sum', { kind: SpanKind.SERVER }, async (span) => {
      try {
        this.client.emit('plain.note', { from: 'gateway' });
        return await lastValueFrom(this.client.send<number>('nestsvc.sum', { a: 2, b: 3 }));
      } finally {
        span.end();
      }
    });
  }

  @Get('legacy')
  legacy(): Promise<unknown> {
    return test.startActiveSpan('GET /legacy', { kind: SpanKind.SERVER }, async (span) => {
      try {
        return await lastValueFrom(this.client.send('nestsvc.legacy', { hi: 'old' }));
      } finally {
        span.end();
      }
    });
  }
}

describe('tracing (OpenTelemetry)', () => {
  let nats: NatsServerHandle;
  let sdk: OtelSdk;
  let plain: Picom;
  let inner: Picom;
  let caller: Picom;
  let nest: NestService;
  let gateway: INestApplication;
  let base: string;
  let raw: NatsConnection;

  before(async () => {
    sdk = registerOtelSdk();
    nats = await startNatsServer();
    const servers = [nats.url];
    plain = new Picom('plain', { servers });
    await plain.expose({
      add: (m: { a: number; b: number }, msg: Msg) => {
        seenTraceparents.push(msg.headers?.get('traceparent') || undefined);
        return m.a + m.b;
      },
      fail: () => {
        throw new Error('plain broke');
      },
      slow: () => sleep(1_000),
      note: (m: unknown) => void notes.push(m),
    });
    inner = new Picom('nestsvc-caller', { servers });
    nest = await createNestService(
      { controllers: [NestServiceController], providers: [{ provide: INNER, useValue: inner }] },
      { service: 'nestsvc', servers },
    );
    raw = await rawConnect(nats.url);
    await startOldPicom(raw, 'old', { echo: (m: unknown, msg: Msg) => ({ echoed: m, traceparent: msg.headers?.get('traceparent') ?? null }) });

    @Module({
      imports: [ClientsModule.register([{ name: GATEWAY_CLIENT, customClass: PicomClient, options: { servers } }])],
      controllers: [GatewayController],
    })
    class GatewayModule {}
    gateway = await NestFactory.create(GatewayModule, { logger: false, abortOnError: false });
    await gateway.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(gateway.getHttpServer() as { address(): AddressInfo }).address().port}`;
    caller = new Picom('caller', { servers });
    await caller.connect();
  });

  after(async () => {
    await gateway?.close().catch(() => undefined);
    await closeAll(nest, plain, inner, caller);
    await raw?.close();
    await nats?.stop();
    await sdk?.shutdown();
  });

  beforeEach(() => sdk.exporter.reset());

  it('follows HTTP → gateway → Nest service → plain service in one trace, with parent links and kinds', async () => {
    const res = await fetch(`${base}/sum`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(await res.text(), '5');
    await waitUntil(() => spansNamed(sdk.exporter, 'process plain.note').length === 1, { timeout: 3_000, message: 'consumer span' });

    const http = oneSpan(sdk.exporter, 'GET /sum');
    const spans = sdk.exporter.getFinishedSpans();
    const gatewayClient = spans.find((s) => s.name === 'nestsvc.sum' && s.kind === SpanKind.CLIENT);
    const nestServer = spans.find((s) => s.name === 'nestsvc.sum' && s.kind === SpanKind.SERVER);
    const innerClient = spans.find((s) => s.name === 'plain.add' && s.kind === SpanKind.CLIENT);
    const plainServer = spans.find((s) => s.name === 'plain.add' && s.kind === SpanKind.SERVER);
    const producer = oneSpan(sdk.exporter, 'publish plain.note');
    const consumer = oneSpan(sdk.exporter, 'process plain.note');
    for (const [what, span] of Object.entries({ gatewayClient, nestServer, innerClient, plainServer })) {
      assert.ok(span, `${what} span missing: ${spans.map((s) => `${s.name}/${SpanKind[s.kind]}`).join(', ')}`);
    }
    const chain = [http, gatewayClient, nestServer, innerClient, plainServer] as ReadableSpan[];
    const traceId = http.spanContext().traceId;
    for (const span of [...chain, producer, consumer]) {
      assert.equal(span.spanContext().traceId, traceId, `${span.name} is in another trace`);
    }
    for (let i = 1; i < chain.length; i++) {
      const child = chain[i] as ReadableSpan;
      const parent = chain[i - 1] as ReadableSpan;
      assert.equal(child.parentSpanContext?.spanId, parent.spanContext().spanId, `${child.name}/${SpanKind[child.kind]} is not a child of ${parent.name}`);
    }
    assert.equal(producer.kind, SpanKind.PRODUCER);
    assert.equal(consumer.kind, SpanKind.CONSUMER);
    assert.equal(producer.parentSpanContext?.spanId, http.spanContext().spanId);
    assert.equal(consumer.parentSpanContext?.spanId, producer.spanContext().spanId);
    assert.deepEqual(notes.at(-1), { from: 'gateway' });

    const server = nestServer as ReadableSpan;
    assert.equal(server.attributes['rpc.system.name'], 'picom');
    assert.equal(server.attributes['rpc.method'], 'nestsvc.sum');
    assert.equal(server.attributes['picom.service'], 'nestsvc');
    assert.equal(server.attributes['messaging.destination.name'], 'nestsvc.sum');
    assert.equal(server.attributes['messaging.message.body.size'], JSON.stringify({ a: 2, b: 3 }).length);
    assert.equal((gatewayClient as ReadableSpan).attributes['rpc.method'], 'nestsvc.sum');
    assert.equal(consumer.attributes['messaging.consumer.group.name'], 'plain');
    for (const span of [...chain, producer, consumer]) {
      assert.notEqual(span.status.code, SpanStatusCode.ERROR, `${span.name} marked as an error`);
    }
    assert.match(seenTraceparents.at(-1) ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it('marks error spans: a remote error (both sides), a timeout and no responders', async () => {
    await test.startActiveSpan('errors', async (span) => {
      const remote = await outcome(caller.request('plain.fail'));
      const timedOut = await outcome(caller.request('plain.slow', null, { timeout: 100 }));
      const nobody = await outcome(caller.request('nobody.here', null, { timeout: 2_000 }));
      span.end();
      assert.ok(remote.error instanceof PicomRemoteError);
      assert.ok(timedOut.error instanceof PicomTimeoutError);
      assert.ok(nobody.error instanceof PicomNoRespondersError);

      const spans = sdk.exporter.getFinishedSpans();
      const client = (name: string): ReadableSpan => {
        const found = spans.find((s) => s.name === name && s.kind === SpanKind.CLIENT);
        assert.ok(found, `no client span ${name}`);
        return found;
      };
      const expectations: [string, Error | undefined, string][] = [
        ['plain.fail', remote.error, 'PicomRemoteError'],
        ['plain.slow', timedOut.error, 'PicomTimeoutError'],
        ['nobody.here', nobody.error, 'PicomNoRespondersError'],
      ];
      for (const [name, err, type] of expectations) {
        const s = client(name);
        assert.equal(s.status.code, SpanStatusCode.ERROR, `${name}: status`);
        assert.equal(s.status.message, err?.message, `${name}: status text`);
        assert.equal(s.attributes['error.type'], type, `${name}: error.type`);
        assert.equal(s.parentSpanContext?.spanId, span.spanContext().spanId);
      }
      assert.match(client('plain.slow').status.message ?? '', /timed out/);
      const server = spans.find((s) => s.name === 'plain.fail' && s.kind === SpanKind.SERVER);
      assert.ok(server, 'no server span for plain.fail');
      assert.equal(server.status.code, SpanStatusCode.ERROR);
      assert.equal(server.status.message, 'plain broke');
      assert.equal(server.attributes['error.type'], 'Error');
      assert.equal(server.parentSpanContext?.spanId, client('plain.fail').spanContext().spanId);
    });
  });

  it('a legacy-style peer in the path answers traced calls, and the trace goes on around it', async () => {
    const direct = await test.startActiveSpan('direct', async (span) => {
      try {
        return await caller.request<{ echoed: unknown; traceparent: string | null }>('old.echo', { x: 1 });
      } finally {
        span.end();
      }
    });
    assert.deepEqual(direct.echoed, { x: 1 });
    // It got the header and ignored it, as an old Picom does.
    assert.match(direct.traceparent ?? '', /^00-/);
    const client = oneSpan(sdk.exporter, 'old.echo');
    assert.equal(client.kind, SpanKind.CLIENT);
    assert.notEqual(client.status.code, SpanStatusCode.ERROR);

    sdk.exporter.reset();
    const res = await fetch(`${base}/legacy`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { echoed: unknown };
    assert.deepEqual(body.echoed, { hi: 'old' });
    const http = oneSpan(sdk.exporter, 'GET /legacy');
    const legacyClient = oneSpan(sdk.exporter, 'old.echo');
    const nestServer = sdk.exporter.getFinishedSpans().find((s) => s.name === 'nestsvc.legacy' && s.kind === SpanKind.SERVER);
    assert.ok(nestServer);
    assert.equal(legacyClient.spanContext().traceId, http.spanContext().traceId);
    assert.equal(legacyClient.parentSpanContext?.spanId, nestServer.spanContext().spanId);
  });

  it('records durations by service, method and outcome, in-flight counts back to 0, and one set for unknown methods', async () => {
    await caller.request('plain.add', { a: 1, b: 1 });
    await outcome(caller.request('plain.fail'));
    await Promise.all(Array.from({ length: 500 }, (_, i) => outcome(caller.request(`plain.m${i}x${Math.random().toString(36).slice(2)}`))));
    await outcome(caller.request('nobody.here'));
    const all = await sdk.collect();

    const client = points(all, 'rpc.client.call.duration');
    const server = points(all, 'rpc.server.call.duration');
    const find = (list: typeof client, attrs: Record<string, string>): typeof client =>
      list.filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
    assert.equal(find(client, { 'picom.service': 'plain', 'rpc.method': 'plain.add', 'picom.outcome': 'ok' }).length, 1);
    assert.equal(find(client, { 'rpc.method': 'plain.fail', 'picom.outcome': 'error' }).length, 1);
    assert.equal(find(server, { 'picom.service': 'plain', 'rpc.method': 'plain.add', 'picom.outcome': 'ok' }).length, 1);
    assert.equal(find(server, { 'rpc.method': 'plain.fail', 'picom.outcome': 'error' }).length, 1);

    // 500 unknown methods: one attribute set on the server, and one (with no responders) on the caller.
    assert.equal(server.filter((p) => String(p.attributes['rpc.method']).startsWith('plain.m')).length, 0);
    const unknown = find(server, { 'picom.service': 'plain', 'rpc.method': '_OTHER' });
    assert.equal(unknown.length, 1);
    assert.ok((unknown[0]?.value as { count: number }).count >= 500);
    assert.equal(client.filter((p) => String(p.attributes['rpc.method']).startsWith('plain.m')).length, 0);
    assert.equal(find(client, { 'rpc.method': '_OTHER', 'picom.outcome': 'error' }).length, 1);
    assert.equal(find(client, { 'rpc.method': '_OTHER', 'picom.outcome': 'no_responders' }).length, 1);
    const histogram = all.find((m) => m.descriptor.name === 'rpc.client.call.duration');
    assert.equal(histogram?.descriptor.unit, 's');

    // plain.slow of the error test may still run (its caller gave up, its handler did not): wait for it.
    let settled = all;
    await waitUntil(
      async () => {
        settled = await sdk.collect();
        return points(settled, 'picom.server.active_calls').every((p) => p.value === 0);
      },
      { timeout: 3_000, message: 'server in-flight count back to 0' },
    );
    for (const name of ['picom.client.active_calls', 'picom.server.active_calls']) {
      const active = points(settled, name);
      assert.ok(active.length > 0, `${name} not recorded`);
      for (const p of active) assert.equal(p.value, 0, `${name} ${JSON.stringify(p.attributes)}`);
    }
  });

  it('tracing: false sends no trace header and makes no span, on either side', async () => {
    const quiet = new Picom('quiet', { servers: [nats.url], tracing: false });
    await quiet.expose({ hello: () => 'hi' });
    try {
      const parent = await test.startActiveSpan('quiet-parent', async (span) => {
        await quiet.request('plain.add', { a: 1, b: 2 });
        await caller.request('quiet.hello');
        span.end();
        return span;
      });
      assert.equal(seenTraceparents.at(-1), undefined, 'a traceparent was sent');
      const spans = sdk.exporter.getFinishedSpans();
      const mine = spans.filter((s) => s.spanContext().traceId === parent.spanContext().traceId);
      // The parent and the traced caller's client span; no quiet client span, no quiet server span.
      assert.deepEqual(mine.map((s) => `${s.name}/${SpanKind[s.kind]}`).sort(), ['quiet-parent/INTERNAL', 'quiet.hello/CLIENT']);
      // plain (traced) served a call that carried no context: a root span of its own.
      const plainServer = spans.find((s) => s.name === 'plain.add' && s.kind === SpanKind.SERVER);
      assert.ok(plainServer);
      assert.equal(plainServer.parentSpanContext, undefined);
    } finally {
      await quiet.close();
    }
  });
});
