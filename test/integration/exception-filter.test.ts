import 'reflect-metadata';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  Body,
  Controller,
  Get,
  Inject,
  Module,
  NotFoundException,
  Param,
  Post,
  type INestApplication,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost, NestFactory } from '@nestjs/core';
import { MessagePattern, RpcException } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import { Picom, PicomRemoteError, PicomReplyError, PicomStatus } from 'picom';
import { PicomClient, PicomExceptionFilter, PicomRecordBuilder, PicomServer } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { CapturingLogger, within } from '../fixtures/picom-test.helpers.js';
import { rawConnect, rawResponder, sleep } from '../fixtures/raw-nats.fixture.js';

/**
 * `PicomExceptionFilter` in a real Nest HTTP app (Express, on loopback) whose
 * routes call Picom services on real nats-servers, registered both ways Nest
 * offers for a global filter. Every answer is checked for status and body, and
 * for what must not leak (stacks, causes, server addresses, credentials).
 */

/** Small, so that a body of a few KiB is too large for the broker. */
const MAX_PAYLOAD = 2_048;
/** The password of the broker whose user may not publish `secret.>`: must never reach an HTTP body. */
const PASSWORD = 'hunter2-pw';
const AUTHORIZATION = `
authorization {
  users: [
    { user: gw, password: ${PASSWORD}, permissions: { publish: { deny: ["secret.>"] } } }
  ]
}`;
const CALL_TIMEOUT_MS = 100;

/** The Picom endpoints the routes call through. */
interface Callers {
  /** Plain Picom caller on the main broker. */
  plain: Picom;
  /** Nest client on the main broker. */
  client: PicomClient;
  /** Plain Picom caller on the broker with permissions; that broker is stopped by the last test. */
  guarded: Picom;
}

const CALLERS = Symbol('callers');

@Controller()
class GatewayController {
  constructor(@Inject(CALLERS) private readonly callers: Callers) {}

  @Get('call/:method')
  call(@Param('method') method: string): Promise<unknown> {
    return this.callers.plain.request(`svc.${method}`, {});
  }

  /** Returns the client's Observable itself: Nest subscribes and gets its error. */
  @Get('send/:method')
  send(@Param('method') method: string): Observable<unknown> {
    return this.callers.client.send(`svc.${method}`, {});
  }

  @Get('slow')
  slow(): Promise<unknown> {
    return this.callers.plain.request('svc.slow', {}, { timeout: CALL_TIMEOUT_MS });
  }

  @Get('slow-send')
  slowSend(): Observable<unknown> {
    return this.callers.client.send('svc.slow', new PicomRecordBuilder({}).setTimeout(CALL_TIMEOUT_MS).build());
  }

  @Get('nobody')
  nobody(): Promise<unknown> {
    return this.callers.plain.request('nobody.here', {});
  }

  @Post('echo')
  echo(@Body() body: unknown): Promise<unknown> {
    return this.callers.plain.request('svc.echo', body);
  }

  @Get('bad-reply')
  badReply(): Promise<unknown> {
    return this.callers.plain.request('raw.garbage', {});
  }

  @Get('bad-subject')
  badSubject(): Promise<unknown> {
    return this.callers.plain.request('no subject', {});
  }

  @Get('unencodable')
  unencodable(): Promise<unknown> {
    return this.callers.plain.request('svc.echo', { n: 1n });
  }

  @Get('forbidden')
  forbidden(): Promise<unknown> {
    return this.callers.guarded.request('secret.thing', {});
  }

  @Get('down')
  down(): Promise<unknown> {
    return this.callers.guarded.request('svc.echo', {});
  }

  /** Through the hybrid app's own Picom service, a Nest one. */
  @Get('gone')
  gone(): Observable<unknown> {
    return this.callers.client.send('hyb.gone', {});
  }

  @Get('not-found')
  notFound(): never {
    throw new NotFoundException('no such page');
  }

  @Get('crash')
  crash(): never {
    throw new Error(`database at 10.1.2.3 refused password ${PASSWORD}`);
  }

  /** A message handler of the hybrid app: its failure is an RPC one, not an HTTP one. */
  @MessagePattern('relay')
  relay(): Promise<unknown> {
    return this.callers.plain.request('nobody.here', {});
  }

  @MessagePattern('gone')
  goneHandler(): never {
    throw new RpcException({ message: 'gone for good', status: 410 });
  }
}

type Registration = 'useGlobalFilters' | 'APP_FILTER';

interface Gateway {
  base: string;
  log: CapturingLogger;
  main: NatsServerHandle;
  guardedBroker: NatsServerHandle;
  callers: Callers;
  close(): Promise<void>;
}

async function startGateway(registration: Registration): Promise<Gateway> {
  const main = await startNatsServer({ maxPayload: MAX_PAYLOAD });
  const guardedBroker = await startNatsServer({ config: AUTHORIZATION });
  const service = new Picom('svc', { servers: [main.url], gracePeriod: 50 });
  await service.expose({
    echo: (msg: unknown) => msg,
    notFound: () => {
      throw new PicomReplyError('no user 42', { status: 404, code: 'USER_NOT_FOUND' });
    },
    tooMany: () => {
      throw new PicomReplyError('slow down', { statusCode: 429 });
    },
    okStatus: () => {
      throw new PicomReplyError('not an error status', { status: 200 });
    },
    textStatus: () => {
      throw new PicomReplyError('not a number', { status: 'abc', code: 7 });
    },
    crash: () => {
      throw new Error('handler crashed');
    },
    slow: () => sleep(1_000),
  });
  const raw: NatsConnection = await rawConnect(main.url);
  await rawResponder(raw, 'raw.garbage', 'not json');

  const callers: Callers = {
    plain: new Picom('gateway', { servers: [main.url], timeout: 3_000 }),
    client: new PicomClient({ servers: [main.url], timeout: 3_000 }),
    guarded: new Picom('gateway', { servers: [guardedBroker.url], user: 'gw', pass: PASSWORD, timeout: 3_000 }),
  };
  await Promise.all([callers.plain.connect(), callers.client.connect(), callers.guarded.connect()]);

  const providers: Provider[] = [{ provide: CALLERS, useValue: callers }];
  if (registration === 'APP_FILTER') {
    providers.push({ provide: APP_FILTER, useClass: PicomExceptionFilter });
  }
  @Module({ controllers: [GatewayController], providers })
  class GatewayModule {}

  const log = new CapturingLogger();
  let app: INestApplication | undefined;
  const close = async (): Promise<void> => {
    await app?.close().catch(() => undefined);
    await Promise.all([callers.plain.close(), callers.client.close(), callers.guarded.close(), service.close()]);
    await raw.close();
    await Promise.all([main.stop(), guardedBroker.stop()]);
  };
  try {
    app = await NestFactory.create(GatewayModule, { logger: log, abortOnError: false });
    if (registration === 'useGlobalFilters') {
      const { httpAdapter } = app.get(HttpAdapterHost);
      app.useGlobalFilters(new PicomExceptionFilter(httpAdapter));
    }
    // A hybrid app: the same controller's message handlers serve `hyb`, with
    // the HTTP app's global filters (APP_FILTER applies there anyway).
    app.connectMicroservice({ strategy: new PicomServer({ service: 'hyb', servers: [main.url] }) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
  } catch (err) {
    await close();
    throw err;
  }
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  return { base: `http://127.0.0.1:${port}`, log, main, guardedBroker, callers, close };
}

interface Answer {
  status: number;
  type: string | null;
  text: string;
  body: Record<string, unknown>;
}

async function http(gateway: Gateway, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(gateway.base + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, body: JSON.parse(text) as Record<string, unknown> };
}

/** Neither a stack, a cause, a server address nor a credential is in the answer. */
function assertNoLeak(gateway: Gateway, answer: Answer): void {
  for (const secret of [
    '127.0.0.1',
    String(gateway.main.port),
    String(gateway.guardedBroker.port),
    PASSWORD,
    '10.1.2.3',
    'nats://',
    '    at ',
    'stack',
    'cause',
  ]) {
    assert.ok(!answer.text.includes(secret), `the answer contains ${JSON.stringify(secret)}: ${answer.text}`);
  }
}

async function expectAnswer(gateway: Gateway, path: string, status: number, body: Record<string, unknown>, sent?: unknown): Promise<Answer> {
  const answer = await http(gateway, path, sent);
  assert.equal(answer.status, status, `${path}: ${answer.text}`);
  assert.deepEqual(answer.body, body, path);
  assert.match(answer.type ?? '', /^application\/json/, path);
  assertNoLeak(gateway, answer);
  return answer;
}

for (const registration of ['useGlobalFilters', 'APP_FILTER'] as const) {
  describe(`PicomExceptionFilter registered with ${registration}`, () => {
    let gateway: Gateway;

    before(async () => {
      gateway = await startGateway(registration);
    });

    after(async () => {
      await gateway?.close();
    });

    it('a remote error with a status 400–599 answers with it, its text and its code', async () => {
      const notFound = { statusCode: 404, error: 'Not Found', message: 'no user 42', code: 'USER_NOT_FOUND' };
      await expectAnswer(gateway, '/call/notFound', 404, notFound);
      await expectAnswer(gateway, '/send/notFound', 404, notFound);
      await expectAnswer(gateway, '/call/tooMany', 429, { statusCode: 429, error: 'Too Many Requests', message: 'slow down' });
    });

    it('a Nest service picks the status with RpcException({ message, status })', async () => {
      await expectAnswer(gateway, '/gone', 410, { statusCode: 410, error: 'Gone', message: 'gone for good' });
    });

    it('any other remote error is 502 Bad Gateway', async () => {
      await expectAnswer(gateway, '/call/okStatus', 502, { statusCode: 502, error: 'Bad Gateway', message: 'not an error status' });
      await expectAnswer(gateway, '/call/textStatus', 502, { statusCode: 502, error: 'Bad Gateway', message: 'not a number', code: 7 });
      await expectAnswer(gateway, '/send/crash', 502, { statusCode: 502, error: 'Bad Gateway', message: 'handler crashed' });
    });

    it('a reply that is not an envelope is 502 naming the subject', async () => {
      await expectAnswer(gateway, '/bad-reply', 502, {
        statusCode: 502,
        error: 'Bad Gateway',
        message: 'raw.garbage answered with an invalid reply',
      });
    });

    it('a timeout is 504 naming the subject, from Picom.request and from PicomClient', async () => {
      const body = { statusCode: 504, error: 'Gateway Timeout', message: `svc.slow did not answer within ${CALL_TIMEOUT_MS} ms` };
      await expectAnswer(gateway, '/slow', 504, body);
      await expectAnswer(gateway, '/slow-send', 504, body);
    });

    it('a subject nobody serves is 503 naming the subject', async () => {
      await expectAnswer(gateway, '/nobody', 503, {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'No service is available to answer nobody.here',
      });
    });

    it('a body larger than the broker accepts is 413; a small one goes through', async () => {
      const small = await http(gateway, '/echo', { text: 'x' });
      assert.equal(small.status, 201, small.text);
      assert.deepEqual(small.body, { text: 'x' });
      await expectAnswer(
        gateway,
        '/echo',
        413,
        { statusCode: 413, error: 'Payload Too Large', message: 'The request to svc.echo is larger than the services accept' },
        { text: 'x'.repeat(MAX_PAYLOAD * 2) },
      );
    });

    it('a programming error on this side is 500 without details, and logged with them', async () => {
      const internal = { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
      await expectAnswer(gateway, '/bad-subject', 500, internal);
      await expectAnswer(gateway, '/unencodable', 500, internal);
      const logged = gateway.log.errors().join('\n');
      assert.match(logged, /PicomSubjectError: Invalid Picom subject "no subject"/);
      assert.match(logged, /PicomEncodeError: Cannot encode the request as JSON/);
      assert.match(logged, /PicomExceptionFilter/);
    });

    it('a refused publish is 503 without the subject, the user or the server', async () => {
      const answer = await expectAnswer(gateway, '/forbidden', 503, {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The service is unavailable; try again later',
      });
      assert.ok(!/secret|gw|permission/i.test(answer.text), answer.text);
    });

    it("Nest's own answers stay: an HttpException, an unknown error, an unknown route", async () => {
      await expectAnswer(gateway, '/not-found', 404, { statusCode: 404, error: 'Not Found', message: 'no such page' });
      await expectAnswer(gateway, '/crash', 500, { statusCode: 500, message: 'Internal server error' });
      await expectAnswer(gateway, '/nowhere', 404, { statusCode: 404, error: 'Not Found', message: 'Cannot GET /nowhere' });
      assert.match(gateway.log.errors().join('\n'), /database at 10\.1\.2\.3/, "Nest's default filter logs the unknown error");
    });

    it("a hybrid app's message handler failing on a Picom call gets Nest's RPC answer, not an HTTP one", async () => {
      const failed = await within(
        gateway.callers.plain.request('hyb.relay', {}).then(
          () => assert.fail('hyb.relay succeeded'),
          (err: unknown) => err,
        ),
        2_000,
        'hyb.relay',
      );
      assert.ok(failed instanceof PicomRemoteError, String(failed));
      assert.equal(failed.message, 'Internal server error');
      assert.deepEqual(failed.fields, {});
    });

    // Last: it stops a broker.
    it('a stopped broker is 503 without its address', async () => {
      await gateway.guardedBroker.stop();
      await waitUntil(() => gateway.callers.guarded.status !== PicomStatus.CONNECTED, { message: 'the caller never saw the broker go' });
      await expectAnswer(gateway, '/down', 503, {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The service is unavailable; try again later',
      });
    });
  });
}
