import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller } from '@nestjs/common';
import { ClientsModule, MessagePattern } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import {
  Picom,
  PicomConnectionError,
  PicomError,
  PicomOptionsError,
  PicomStatus,
} from 'picom';
import { PicomClient, PicomModule, PicomRecord, PicomRecordBuilder, PicomServer } from 'picom/nest';
import { freePort, startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { createNestContext, createNestService } from '../fixtures/nest-app.fixture.js';

/** Runs `fn` with PICOM_SERVERS set to `value`, then restores what was there. */
async function withServersEnv<T>(value: string, fn: () => Promise<T> | T): Promise<T> {
  const saved = process.env['PICOM_SERVERS'];
  process.env['PICOM_SERVERS'] = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env['PICOM_SERVERS'];
    else process.env['PICOM_SERVERS'] = saved;
  }
}

@Controller()
class PingController {
  @MessagePattern('ping')
  ping() {
    return 'pong';
  }
}

/** The ways to write `servers` for a server on `port`, all of which must work. */
async function serverForms(nats: NatsServerHandle): Promise<[string, string | string[]][]> {
  const dead = `nats://127.0.0.1:${await freePort()}`;
  return [
    ['host:port string (no nats://)', nats.hostport],
    ['nats:// string', nats.url],
    ['array without nats://', [nats.hostport]],
    ['array with nats://', [nats.url]],
    ['comma-separated string', `${nats.hostport}, ${nats.url}`],
    ['array with a dead server besides the live one', [dead, nats.hostport]],
  ];
}

describe('options against a real server', () => {
  let nats: NatsServerHandle;
  let responder: Picom;
  let forms: [string, string | string[]][];

  before(async () => {
    nats = await startNatsServer();
    responder = new Picom('echo', { servers: nats.url });
    await responder.expose({ ping: () => 'pong' });
    forms = await serverForms(nats);
  });

  after(async () => {
    await responder?.close();
    await nats?.stop();
  });

  it('servers: every form works for Picom', async () => {
    for (const [what, servers] of forms) {
      const picom = new Picom('formcaller', { servers, timeout: 3_000 });
      try {
        assert.equal(await picom.request('echo.ping', {}), 'pong', what);
      } finally {
        await picom.close();
      }
    }
  });

  it('servers: every form works for PicomClient', async () => {
    for (const [what, servers] of forms) {
      const client = new PicomClient({ servers, timeout: 3_000 });
      try {
        assert.equal(await firstValueFrom(client.send('echo.ping', {})), 'pong', what);
      } finally {
        await client.close();
      }
    }
  });

  it('servers: every form works for PicomServer', async () => {
    const caller = new Picom('formcaller', { servers: nats.url, timeout: 3_000 });
    try {
      for (const [what, servers] of forms) {
        const svc = await createNestService({ controllers: [PingController] }, { service: 'nestforms', servers });
        try {
          assert.equal(await caller.request('nestforms.ping', {}), 'pong', what);
        } finally {
          await svc.close();
        }
      }
    } finally {
      await caller.close();
    }
  });

  it('port: accepted and without effect on all three endpoints', async (t) => {
    const port = await freePort();
    const picom = new Picom('withport', { servers: nats.url, port, timeout: 3_000 });
    t.after(() => picom.close());
    const client = new PicomClient({ servers: nats.url, port, timeout: 3_000 });
    t.after(() => client.close());
    const svc = await createNestService({ controllers: [PingController] }, { service: 'withport', servers: nats.url, port });
    t.after(() => svc.close());
    assert.equal(await picom.request('withport.ping', {}), 'pong');
    assert.equal(await firstValueFrom(client.send('withport.ping', {})), 'pong');
    // Nothing listens on the port.
    const varz = await nats.monitor<{ connections: number }>('varz');
    assert.ok(varz.connections >= 3);
    await assert.rejects(
      new Promise((resolve, reject) => {
        import('node:net').then(({ connect }) => {
          const socket = connect(port, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            resolve('connected');
          });
          socket.once('error', reject);
        }, reject);
      }),
      'something listens on the "port" given to Picom',
    );
  });
});

describe('PICOM_SERVERS against a real server', () => {
  it('is where Picom, PicomServer and PicomClient connect when servers is not given', async (t) => {
    const nats = await startNatsServer();
    t.after(() => nats.stop());
    await withServersEnv(nats.hostport, async () => {
      const picom = new Picom('fromenv', { timeout: 3_000 });
      t.after(() => picom.close());
      await picom.expose({ ping: () => 'pong' });
      assert.equal(await picom.request('fromenv.ping', {}), 'pong');
      const svc = await createNestService({ controllers: [PingController] }, { service: 'fromenvnest' });
      t.after(() => svc.close());
      const client = new PicomClient({ timeout: 3_000 });
      t.after(() => client.close());
      assert.equal(await firstValueFrom(client.send('fromenv.ping', {})), 'pong');
      assert.equal(await picom.request('fromenvnest.ping', {}), 'pong');
      // All three went to the server the variable names.
      const connz = await nats.monitor<{ num_connections: number }>('connz');
      assert.equal(connz.num_connections, 3);
    });
  });
});

describe('servers where nothing listens', () => {
  it('every endpoint fails with a connection error naming the address', async (t) => {
    const dead = `127.0.0.1:${await freePort()}`;
    const naming = (err: unknown): boolean => {
      assert.ok(err instanceof PicomConnectionError, String(err));
      assert.equal(err.code, 'CONNECT_FAILED');
      assert.ok(err.message.includes(dead), err.message);
      return true;
    };
    const picom = new Picom('nowhere', { servers: dead });
    t.after(() => picom.close());
    await assert.rejects(picom.request('any.thing', {}), naming);
    const client = new PicomClient({ servers: dead });
    t.after(() => client.close());
    await assert.rejects(firstValueFrom(client.send('any.thing', {})), naming);
    await assert.rejects(createNestService({ controllers: [PingController] }, { service: 'nowhere', servers: dead }), naming);
  });
});

describe('retries: 0 gives up at the first disconnect', () => {
  it('Picom and PicomClient report closed, emit close with an error, and fail calls with CONNECTION_LOST', async (t) => {
    const nats = await startNatsServer();
    t.after(() => nats.stop());
    const picom = new Picom('fragile', { servers: nats.url, retries: 0, timeout: 2_000 });
    t.after(() => picom.close());
    const client = new PicomClient({ servers: nats.url, retries: 0, timeout: 2_000 });
    t.after(() => client.close());
    const closes: { who: string; err: unknown }[] = [];
    picom.on('close', (err) => closes.push({ who: 'picom', err }));
    client.on('close', (err) => closes.push({ who: 'client', err }));
    const clientStatuses: string[] = [];
    client.status.subscribe((s) => clientStatuses.push(s));
    await picom.expose({ ping: () => 'pong' });
    await client.connect();
    assert.equal(await firstValueFrom(client.send('fragile.ping', {})), 'pong');

    await nats.kill();
    await waitUntil(() => closes.length === 2, { message: () => `close events: ${JSON.stringify(closes)}` });
    for (const { who, err } of closes) {
      assert.ok(err instanceof PicomConnectionError, `${who}: close without the reason`);
      assert.equal(err.code, 'CONNECTION_LOST', who);
    }
    assert.equal(picom.status, PicomStatus.CLOSED);
    assert.equal(clientStatuses.at(-1), PicomStatus.CLOSED);
    // The serving Picom gave up: the process must not end with exit code 0.
    assert.equal(process.exitCode, 1);
    process.exitCode = undefined;
    await assert.rejects(picom.request('fragile.ping', {}), (err: unknown) => {
      assert.ok(err instanceof PicomConnectionError);
      return true;
    });
    // Restarting the broker does not bring a retries: 0 connection back.
    await nats.restart();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(picom.status, PicomStatus.CLOSED);
  });
});

describe('ttl: a broker that stops answering is detected within ttl seconds', () => {
  it('ttl: 1 disconnects within a few seconds of a frozen server; ttl: 30 does not notice yet', { timeout: 30_000 }, async (t) => {
    const nats = await startNatsServer();
    t.after(() => nats.stop());
    const quick = new Picom('quick', { servers: nats.url, ttl: 1, retries: -1 });
    t.after(() => quick.close());
    const patient = new Picom('patient', { servers: nats.url, ttl: 30, retries: -1 });
    t.after(() => patient.close());
    const quickClient = new PicomClient({ servers: nats.url, ttl: 1, retries: -1 });
    t.after(() => quickClient.close());
    const disconnects: string[] = [];
    quick.on('disconnect', () => disconnects.push('quick'));
    patient.on('disconnect', () => disconnects.push('patient'));
    quickClient.on('disconnect', () => disconnects.push('quickClient'));
    await quick.connect();
    await patient.connect();
    await quickClient.connect();

    // Freeze the broker: the TCP connection stays open, only pings go unanswered.
    const pid = nats.pid;
    process.kill(pid, 'SIGSTOP');
    t.after(() => {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    });
    const frozenAt = performance.now();
    await waitUntil(() => disconnects.includes('quick') && disconnects.includes('quickClient'), {
      timeout: 6_000,
      interval: 50,
      message: () => `no stale-connection disconnect with ttl: 1 (events: ${disconnects.join()})`,
    });
    const detectedAfter = performance.now() - frozenAt;
    assert.ok(detectedAfter < 4_000, `ttl: 1 detected the dead broker after ${detectedAfter.toFixed(0)} ms`);
    assert.ok(!disconnects.includes('patient'), 'ttl: 30 gave up on the broker within seconds');
    process.kill(pid, 'SIGCONT');
  });
});

describe('invalid options throw a clear error at construction', () => {
  const badServiceNames: unknown[] = ['', 'a.b', 'svc*', 'svc>', 'my service', 'tab\there', 123, null];

  for (const name of badServiceNames) {
    it(`service name ${JSON.stringify(name)} is refused by Picom and PicomServer`, () => {
      const check = (err: unknown): boolean => {
        assert.ok(err instanceof PicomOptionsError, String(err));
        assert.ok(err instanceof PicomError);
        assert.match(err.message, /service name/i);
        if (typeof name === 'string' && name !== '') assert.ok(err.message.includes(JSON.stringify(name)), err.message);
        return true;
      };
      assert.throws(() => new Picom(name as string, { servers: '127.0.0.1:1' }), check);
      assert.throws(() => new PicomServer({ service: name as string, servers: '127.0.0.1:1' }), check);
    });
  }

  it('PicomServer without a service is refused', () => {
    assert.throws(() => new PicomServer({} as never), PicomOptionsError);
    assert.throws(() => new PicomServer(undefined as never), PicomOptionsError);
  });

  const badOptions: [string, Record<string, unknown>, RegExp][] = [
    ['negative timeout', { timeout: -1 }, /"timeout"/],
    ['zero timeout', { timeout: 0 }, /"timeout"/],
    ['string timeout', { timeout: '1000' }, /"timeout"/],
    ['NaN timeout', { timeout: Number.NaN }, /"timeout"/],
    ['string retries', { retries: 'many' }, /"retries"/],
    ['fractional retries', { retries: 1.5 }, /"retries"/],
    ['retries below -1', { retries: -2 }, /"retries"/],
    ['negative ttl', { ttl: -5 }, /"ttl"/],
    ['string ttl', { ttl: '30' }, /"ttl"/],
    ['numeric servers', { servers: 4222 }, /"servers"/],
    ['empty servers array', { servers: [] }, /"servers"/],
    ['empty server string', { servers: [''] }, /"servers"/],
    ['non-string server', { servers: [4222] }, /"servers"/],
    ['string port', { port: '3000' }, /"port"/],
    ['object logger', { logger: {} }, /"logger"/],
    ['numeric token', { token: 42 }, /"token"/],
    ['unknown key', { frobnicate: true }, /^Unknown option "frobnicate" for Picom(Server|Client)?; valid options: /],
    ['unknown key with an undefined value', { frobnicate: undefined }, /^Unknown option "frobnicate"/],
    ['typo of timeout', { timout: 1_000 }, /^Unknown option "timout" for Picom(Server|Client)?: did you mean "timeout"\?$/],
    ['typo of servers', { server: '127.0.0.1:1' }, /^Unknown option "server" for Picom(Server|Client)?: did you mean "servers"\?$/],
    ['Nest serializer', { serializer: { serialize: (v: unknown) => v } }, /^Option "serializer" does not apply to Picom(Server|Client)?: Picom's wire format is fixed JSON envelopes/],
    ['Nest queue', { queue: 'workers' }, /^Option "queue" does not apply .*: the queue group is always the service name/],
    ['Nest headers', { headers: { a: 'b' } }, /^Option "headers" does not apply .*PicomRecordBuilder\.setHeaders\(\)/],
    ['Nest gracefulShutdown', { gracefulShutdown: true }, /^Option "gracefulShutdown" does not apply .*always drains/],
    ['nats.js url', { url: 'nats://127.0.0.1:1' }, /^Option "url" does not apply .*use "servers"/],
    ['nats.js maxReconnectAttempts', { maxReconnectAttempts: 5 }, /^Option "maxReconnectAttempts" does not apply .*use "retries"/],
    ['nats.js pingInterval', { pingInterval: 1_000 }, /^Option "pingInterval" does not apply .*use "ttl"/],
    ['http:// server', { servers: 'http://127.0.0.1:4222' }, /^Invalid server address "http:\/\/127\.0\.0\.1:4222" in "servers": http:\/\/ is not a NATS scheme/],
    ['ws:// server', { servers: ['ws://127.0.0.1:8080'] }, /^Invalid server address "ws:\/\/127\.0\.0\.1:8080" in "servers"\[0\]: .*WebSocket needs wsconnect\(\)/],
    ['bad entry in an array', { servers: ['127.0.0.1:1', 'https://bob:hunter2@h:1'] }, /^Invalid server address "https:\/\/\*\*\*@h:1" in "servers"\[1\]: /],
    ['bad entry in a comma-separated string', { servers: '127.0.0.1:1, 127.0.0.1:2,nats://h:3/path' }, /^Invalid server address "nats:\/\/h:3\/path" in "servers"\[2\]: /],
  ];

  for (const [what, options, naming] of badOptions) {
    it(`${what} is refused by Picom, PicomServer and PicomClient, naming the option`, () => {
      const check = (err: unknown): boolean => {
        assert.ok(err instanceof PicomOptionsError, String(err));
        assert.match(err.message, naming);
        return true;
      };
      assert.throws(() => new Picom('valid', options), check);
      assert.throws(() => new PicomServer({ service: 'valid', ...options }), check);
      assert.throws(() => new PicomClient(options), check);
    });
  }

  it('a refused key is reported for the endpoint it was given to', () => {
    const naming = (endpoint: string) => (err: unknown): boolean => {
      assert.ok(err instanceof PicomOptionsError, String(err));
      assert.ok(err.message.startsWith(`Option "queue" does not apply to ${endpoint}: `), err.message);
      return true;
    };
    assert.throws(() => new Picom('valid', { queue: 'q' } as never), naming('Picom'));
    assert.throws(() => new PicomServer({ service: 'valid', queue: 'q' } as never), naming('PicomServer'));
    assert.throws(() => new PicomClient({ queue: 'q' } as never), naming('PicomClient'));
  });

  it('a refused server address never echoes its credentials', () => {
    const servers = ['127.0.0.1:1', 'https://bob:hunter2@h:1'];
    for (const construct of [
      () => new Picom('valid', { servers }),
      () => new PicomServer({ service: 'valid', servers }),
      () => new PicomClient({ servers }),
    ]) {
      assert.throws(construct, (err: unknown) => {
        assert.ok(err instanceof PicomOptionsError);
        assert.doesNotMatch(err.message, /bob|hunter2/);
        return true;
      });
    }
  });

  it('serve options are refused by PicomClient and taken by Picom and PicomServer', () => {
    for (const [key, value] of [['gracePeriod', 100], ['handlerTimeout', 100], ['maxConcurrency', 2], ['maxQueued', 5]] as const) {
      assert.throws(
        () => new PicomClient({ [key]: value } as never),
        (err: unknown) => {
          assert.ok(err instanceof PicomOptionsError, String(err));
          assert.equal(err.message, `Option "${key}" does not apply to PicomClient: it applies to serving endpoints (Picom, PicomServer)`);
          return true;
        },
      );
      assert.doesNotThrow(() => new Picom('valid', { servers: '127.0.0.1:1', [key]: value }));
      assert.doesNotThrow(() => new PicomServer({ service: 'valid', servers: '127.0.0.1:1', [key]: value }));
    }
  });

  it('"service" is taken by PicomServer only', () => {
    assert.throws(() => new Picom('valid', { service: 'other' } as never), /"service" does not apply to Picom: .*new Picom\(name, options\)/);
    assert.throws(() => new PicomClient({ service: 'other' } as never), /"service" does not apply to PicomClient: /);
  });

  it('an invalid PICOM_SERVERS is refused by all three endpoints, saying where it came from', async () => {
    await withServersEnv('127.0.0.1:1, http://127.0.0.1:2', () => {
      const check = (err: unknown): boolean => {
        assert.ok(err instanceof PicomOptionsError, String(err));
        assert.match(err.message, /^Invalid server address "http:\/\/127\.0\.0\.1:2" in PICOM_SERVERS\[1\] \(environment variable\): /);
        return true;
      };
      assert.throws(() => new Picom('valid'), check);
      assert.throws(() => new PicomServer({ service: 'valid' }), check);
      assert.throws(() => new PicomClient(), check);
      // The option wins over the variable.
      assert.doesNotThrow(() => new PicomClient({ servers: '127.0.0.1:1' }));
    });
  });

  it('PicomModule.register and ClientsModule.register refuse unknown keys when they build the client', async () => {
    await assert.rejects(createNestContext({ imports: [PicomModule.register({ servers: '127.0.0.1:1', timout: 5 } as never)] }), (err: unknown) => {
      assert.ok(err instanceof PicomOptionsError, String(err));
      assert.match(err.message, /^Unknown option "timout" for PicomClient: did you mean "timeout"\?$/);
      return true;
    });
    // ClientsModule builds its clients inside register() itself.
    assert.throws(
      () => ClientsModule.register([{ name: 'X', customClass: PicomClient, options: { servers: '127.0.0.1:1', queue: 'q' } }]),
      (err: unknown) => {
        assert.ok(err instanceof PicomOptionsError, String(err));
        assert.match(err.message, /^Option "queue" does not apply to PicomClient: /);
        return true;
      },
    );
    // The module's own keys never reach the client.
    const ctx = await createNestContext({
      imports: [PicomModule.register({ servers: '127.0.0.1:1', clientName: 'NAMED', isGlobal: true })],
    });
    try {
      assert.ok(ctx.get(PicomClient) instanceof PicomClient);
    } finally {
      await ctx.close();
    }
  });

  it('a per-call timeout that is not a positive number is refused at once by the record builder', () => {
    for (const bad of [0, -1, Number.NaN, '500']) {
      assert.throws(() => new PicomRecordBuilder({}).setTimeout(bad as number), (err: unknown) => {
        assert.ok(err instanceof PicomOptionsError, String(err));
        assert.match(err.message, /^Invalid timeout .* for this call: expected a positive number of milliseconds$/);
        return true;
      });
    }
    assert.throws(() => new PicomRecord({}, undefined, 0), /^PicomOptionsError: Invalid timeout 0 for this call/);
    assert.equal(new PicomRecordBuilder({}).setTimeout(250).build().timeout, 250);
  });

  for (const [what, options] of [
    ['negative gracePeriod', { gracePeriod: -1 }],
    ['string gracePeriod', { gracePeriod: '10' }],
  ] as const) {
    it(`${what} is refused by Picom and PicomServer`, () => {
      assert.throws(() => new Picom('valid', options as never), /"gracePeriod"/);
      assert.throws(() => new PicomServer({ service: 'valid', ...(options as object) } as never), /"gracePeriod"/);
    });
  }

  it('options that are not an object are refused by Picom', () => {
    assert.throws(() => new Picom('valid', 'nats://x' as never), PicomOptionsError);
    assert.throws(() => new Picom('valid', 42 as never), PicomOptionsError);
  });

  it('options that are not an object are refused by PicomClient', () => {
    assert.throws(() => new PicomClient('nats://x' as never), PicomOptionsError);
    assert.throws(() => new PicomClient(42 as never), PicomOptionsError);
  });

  it('a server address with credentials is never echoed in the error', () => {
    assert.throws(
      () => new Picom('valid', { servers: ['nats://user:s3cret@[bad'] }),
      (err: unknown) => {
        assert.ok(err instanceof PicomOptionsError);
        assert.doesNotMatch(err.message, /s3cret/);
        return true;
      },
    );
  });

  it('valid options construct without connecting', () => {
    assert.doesNotThrow(() => new Picom('valid', { servers: '127.0.0.1:1', timeout: 10, retries: -1, ttl: 1, gracePeriod: 0 }));
    assert.doesNotThrow(() => new PicomServer({ service: 'valid', servers: ['nats://127.0.0.1:1'], timeout: 10 }));
    assert.doesNotThrow(() => new PicomClient());
  });
});

