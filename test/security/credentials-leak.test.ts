import assert from 'node:assert/strict';
import { format, inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { nkeyAuthenticator } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomConnectionError, type PicomOptions } from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { createNkeyUser } from '../harness/tls.harness.js';
import { CapturingLogger, outcome, sleep, startTestService } from '../fixtures/picom-test.helpers.js';

const TOKEN = 'tok-LEAKCHECK-7d1e';
const USER = 'leakuser-LEAKCHECK';
const PASS = 'pw-LEAKCHECK-93af';
const WRONG = 'wrong-LEAKCHECK-55c0';
const nkeyUser = createNkeyUser();
const stranger = createNkeyUser();
const SEED = new TextDecoder().decode(stranger.seed);
const SECRETS = [TOKEN, PASS, WRONG, encodeURIComponent(PASS), SEED, new TextDecoder().decode(nkeyUser.seed)];

/**
 * Credentials never show up in what Picom says: logs (Picom's logger, Nest's
 * logger, the console) and errors (message, stack, cause chain, JSON), across
 * connects, refusals, disconnects, reconnects and closes.
 */
describe('credentials never appear in logs or errors', () => {
  const picomLog = new CapturingLogger();
  const nestLog = new CapturingLogger();
  const consoleLines: string[] = [];
  const seen: { what: string; text: string }[] = [];
  const restoreConsole: (() => void)[] = [];
  let broker: NatsServerHandle;

  /** Everything an error can show: message, stack, causes, own fields. */
  function record(what: string, err: unknown): void {
    assert.ok(err instanceof Error, `${what}: expected an error, got ${String(err)}`);
    seen.push({ what, text: [String(err), err.stack ?? '', inspect(err, { depth: 10 }), safeJson(err)].join('\n') });
  }

  function assertClean(): void {
    const sources = [
      { what: 'Picom logger', text: picomLog.text },
      { what: 'Nest logger', text: nestLog.text },
      { what: 'console', text: consoleLines.join('\n') },
      ...seen,
    ];
    for (const { what, text } of sources) {
      for (const secret of SECRETS) {
        assert.ok(!text.includes(secret), `${what} shows a credential:\n${text}`);
      }
    }
  }

  before(async () => {
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        consoleLines.push(format(...args));
        original.apply(console, args);
      };
      restoreConsole.push(() => (console[method] = original));
    }
    const config = `authorization {
      users: [
        { user: ${JSON.stringify(USER)}, password: ${JSON.stringify(PASS)} }
        { nkey: ${JSON.stringify(nkeyUser.publicKey)} }
      ]
    }`;
    broker = await startNatsServer({ config });
  });

  after(async () => {
    for (const restore of restoreConsole) restore();
    await broker?.stop();
  });

  const options = (extra: PicomOptions): PicomOptions => ({ logger: picomLog, timeout: 500, ...extra });

  it('through connect, disconnect, reconnect and close with credentials in the URL', async () => {
    const url = `nats://${USER}:${encodeURIComponent(PASS)}@${broker.hostport}`;
    const service = await startTestService({ service: 'leak', servers: url, retries: -1, logger: picomLog }, {}, nestLog);
    const client = new PicomClient(options({ servers: [url], retries: -1 }));
    const caller = new Picom('leak-caller', options({ servers: url, retries: -1 }));
    const errors: Error[] = [];
    for (const endpoint of [service.server, client, caller]) {
      endpoint.on('error', (err: Error) => errors.push(err));
    }
    let reconnected = 0;
    for (const endpoint of [service.server, client, caller]) {
      endpoint.on('reconnect', () => reconnected++);
    }
    try {
      assert.equal(await firstValueFrom(client.send('leak.echo', 1)), 1);
      assert.equal(await caller.request('leak.echo', 2), 2);
      await broker.kill();
      const down = await outcome(caller.request('leak.echo', 3));
      record('a call during the outage', down.error);
      await broker.restart();
      await waitUntil(() => reconnected === 3, { timeout: 10_000, message: `reconnects: ${reconnected}` });
      // The service's subscription is sent again on its own connection: a round
      // trip on it, or the caller's request can reach the server first and find nobody.
      await service.server.unwrap().flush();
      assert.equal(await caller.request('leak.echo', 4), 4);
      // A failing remote handler: its error passes through the Nest exception filter.
      record('a remote error', (await outcome(caller.request('leak.fail', { x: 1 }))).error);
      for (const err of errors) record("on('error')", err);
      assert.match(picomLog.text, /disconnected from NATS at 127\.0\.0\.1:\d+/);
      assert.match(picomLog.text, /reconnected to NATS at/);
    } finally {
      await client.close();
      await caller.close();
      await service.close();
    }
    assertClean();
  });

  it('through refused credentials: wrong password, wrong token, unknown NKey', async () => {
    const attempts: [string, () => Promise<unknown>][] = [
      ['wrong password in URL (Picom)', () => new Picom('leak', options({ servers: `nats://${USER}:${WRONG}@${broker.hostport}` })).connect()],
      ['wrong token in URL (PicomClient)', () => new PicomClient(options({ servers: `nats://${WRONG}@${broker.hostport}` })).connect()],
      ['wrong password option (PicomServer)', () => startTestService({ service: 'leak2', servers: broker.url, user: USER, pass: WRONG, logger: picomLog }, {}, nestLog)],
      ['wrong token option (Picom)', () => new Picom('leak', options({ servers: broker.url, token: TOKEN })).connect()],
      ['unknown NKey (Picom)', () => new Picom('leak', options({ servers: broker.url, authenticator: nkeyAuthenticator(stranger.seed) })).connect()],
      ['send() through a refused PicomClient', () => firstValueFrom(new PicomClient(options({ servers: `nats://${USER}:${WRONG}@${broker.hostport}` })).send('leak.echo', 1))],
    ];
    for (const [what, attempt] of attempts) {
      const result = await outcome(attempt());
      assert.ok(result.error instanceof PicomConnectionError, `${what}: ${String(result.error)}`);
      assert.match(result.error.message, /authorization failed/i, what);
      record(what, result.error);
    }
    assertClean();
  });

  it('through unreachable servers, bad addresses and lost connections', async () => {
    const gone = await startNatsServer();
    const goneUrl = `nats://${USER}:${encodeURIComponent(PASS)}@${gone.hostport}`;
    const lost = new Picom('leak-lost', options({ servers: goneUrl, retries: 1 }));
    const closed = new Promise<Error | undefined>((resolve) => lost.on('close', resolve));
    await lost.connect();
    await gone.stop();
    record('close event after retries ran out', await closed);
    record('a call after the close', (await outcome(lost.request('leak.echo', 1))).error);
    await lost.close();

    record('unreachable server with credentials', (await outcome(new Picom('leak', options({ servers: goneUrl })).connect())).error);
    for (const bad of [`nats://${USER}:${PASS}@`, `nats://${USER}:${PASS}@host:notaport`, `nats://${TOKEN}@[::1`, `nats://${USER}:${PASS}%zz@127.0.0.1:1`]) {
      let thrown: unknown;
      try {
        new Picom('leak', { servers: bad });
      } catch (err) {
        thrown = err;
      }
      record(`bad address ${bad.replace(/\/\/.*@/, '//<credentials>@')}`, thrown);
    }
    await sleep(10);
    assertClean();
  });
});

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
