import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { Picom, PicomTimeoutError } from 'picom';
import { PicomClient, PicomRecordBuilder } from 'picom/nest';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { closeAll, createNestService, type NestService } from '../fixtures/nest-app.fixture.js';

/**
 * Timeouts come from one deadline timer shared by all pending calls, not a
 * timer per call: a call with timeout T against a handler that never answers
 * must still fail with PicomTimeoutError within T..T+100 ms, on both paths,
 * also while other calls come and go.
 */

const SLACK_MS = 100;
const TIMEOUTS = [50, 120, 250, 400];

@Controller()
class SilentController {
  @MessagePattern('never')
  never(): Promise<never> {
    return new Promise<never>(() => undefined);
  }

  @MessagePattern('echo')
  echo(data: unknown): unknown {
    return data;
  }
}

async function timed(call: () => Promise<unknown>): Promise<{ elapsed: number; err: unknown }> {
  const start = performance.now();
  try {
    await call();
    return { elapsed: performance.now() - start, err: undefined };
  } catch (err) {
    return { elapsed: performance.now() - start, err };
  }
}

function assertWithin(results: { elapsed: number; err: unknown }[], timeouts: number[]): void {
  results.forEach(({ elapsed, err }, i) => {
    const timeout = timeouts[i]!;
    assert.ok(err instanceof PicomTimeoutError, `timeout ${timeout}: expected PicomTimeoutError, got ${String(err)}`);
    assert.ok(elapsed >= timeout - 1, `timeout ${timeout}: failed early, after ${elapsed.toFixed(1)} ms`);
    assert.ok(elapsed <= timeout + SLACK_MS, `timeout ${timeout}: failed late, after ${elapsed.toFixed(1)} ms`);
  });
}

describe('timeout precision', () => {
  let nats: NatsServerHandle;
  let nest: NestService;
  let plain: Picom;
  let client: PicomClient;

  before(async () => {
    nats = await startNatsServer();
    nest = await createNestService({ controllers: [SilentController] }, { service: 'silent', servers: [nats.url], gracePeriod: 50 });
    plain = new Picom('caller', { servers: [nats.url] });
    await plain.connect();
    client = new PicomClient({ servers: [nats.url] });
    await client.connect();
  });

  after(async () => {
    await closeAll(client, plain, nest);
    await nats?.stop();
  });

  it('Picom.request fails within T..T+100 ms', async () => {
    const results = await Promise.all(TIMEOUTS.map((timeout) => timed(() => plain.request('silent.never', {}, { timeout }))));
    assertWithin(results, TIMEOUTS);
  });

  it('PicomClient.send fails within T..T+100 ms', async () => {
    const results = await Promise.all(
      TIMEOUTS.map((timeout) =>
        timed(() => lastValueFrom(client.send('silent.never', new PicomRecordBuilder({}).setTimeout(timeout).build()))),
      ),
    );
    assertWithin(results, TIMEOUTS);
  });

  it('stays within T..T+100 ms while thousands of other calls complete', async () => {
    let stop = false;
    let answered = 0;
    const traffic = (async () => {
      while (!stop) {
        await Promise.all(Array.from({ length: 200 }, (_, i) => plain.request('silent.echo', { i })));
        answered += 200;
      }
    })();
    const results = await Promise.all(TIMEOUTS.map((timeout) => timed(() => plain.request('silent.never', {}, { timeout }))));
    stop = true;
    await traffic;
    assertWithin(results, TIMEOUTS);
    assert.ok(answered > 0, 'no traffic was answered');
  });
});
