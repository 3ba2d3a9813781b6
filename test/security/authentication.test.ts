import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nkeyAuthenticator } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomConnectionError, PicomConnectionErrorCode, type PicomConnectionOptions } from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { createNkeyUser, generateTlsCertificates, nkeyAuthorizationConfig, tlsServerConfig, type TlsCertificates } from '../harness/tls.harness.js';
import { CapturingLogger, outcome, sleep, startTestService, within, type TestService } from '../fixtures/picom-test.helpers.js';

/** A connect that fails must fail fast: no hang, no retry loop. */
const FAIL_FAST_MS = 3_000;

function assertAuthorizationError(err: unknown, what: string): asserts err is PicomConnectionError {
  assert.ok(err instanceof PicomConnectionError, `${what}: ${String(err)}`);
  assert.equal(err.code, PicomConnectionErrorCode.AUTHORIZATION, `${what}: ${err.message}`);
  assert.match(err.message, /authorization failed/i, what);
}

/** How many times the broker refused a client, by its own log. */
function refusals(broker: NatsServerHandle): number {
  return (broker.output.match(/Authorization Violation|authentication error|TLS handshake error/gi) ?? []).length;
}

/**
 * Every way the three endpoints (Nest service, Nest client, plain Picom)
 * connect to a nats-server that checks credentials: calls work with the right
 * ones, and wrong ones fail at connect with an authorization error, once.
 */
async function roundTrip(service: string, server: string | string[], serviceAuth: PicomConnectionOptions, callerAuth: PicomConnectionOptions): Promise<void> {
  let app: TestService | undefined;
  let client: PicomClient | undefined;
  let caller: Picom | undefined;
  try {
    app = await startTestService({ service, servers: server, ...serviceAuth });
    client = new PicomClient({ servers: server, timeout: 5_000, ...callerAuth });
    caller = new Picom(`${service}-caller`, { servers: server, timeout: 5_000, ...callerAuth });
    assert.equal(await firstValueFrom(client.send(`${service}.echo`, 'via PicomClient')), 'via PicomClient');
    assert.equal(await caller.request(`${service}.echo`, 'via Picom'), 'via Picom');
  } finally {
    await client?.close();
    await caller?.close();
    await app?.close();
  }
}

/** Tries all three endpoints with `auth` and expects each to be refused for authorization, fast and once. */
async function assertRefused(broker: NatsServerHandle, server: string | string[], auth: PicomConnectionOptions, what: string): Promise<void> {
  const before = refusals(broker);
  const attempts = [
    outcome(startTestService({ service: 'refused', servers: server, ...auth })),
    outcome(new PicomClient({ servers: server, ...auth }).connect()),
    outcome(new Picom('refused', { servers: server, ...auth }).connect()),
  ];
  const results = await within(Promise.all(attempts), FAIL_FAST_MS * 2, `${what}: connect`);
  for (const [i, result] of results.entries()) {
    const endpoint = ['PicomServer (app.listen)', 'PicomClient.connect', 'Picom.connect'][i];
    if (result.ok) {
      await (result.value as { close?: () => Promise<void> })?.close?.();
    }
    assert.equal(result.ok, false, `${what}: ${endpoint} connected`);
    assertAuthorizationError(result.error, `${what}: ${endpoint}`);
    assert.ok(result.ms < FAIL_FAST_MS, `${what}: ${endpoint} took ${result.ms.toFixed(0)} ms`);
  }
  // One refusal per endpoint, and no more later: nobody retries.
  await sleep(300);
  const count = refusals(broker) - before;
  assert.equal(count, 3, `${what}: the broker refused ${count} connection attempts for 3 endpoints`);
  const connz = await broker.monitor<{ num_connections: number }>('connz');
  assert.equal(connz.num_connections, 0, `${what}: a refused endpoint stayed connected`);
}

describe('authentication against nats-server', () => {
  describe('token', () => {
    const TOKEN = 'tok-3f9a-SECRET';
    let broker: NatsServerHandle;
    before(async () => {
      broker = await startNatsServer({ config: `authorization { token: ${JSON.stringify(TOKEN)} }` });
    });
    after(() => broker?.stop());

    it('the token option and the token written in the URL both work', async () => {
      await roundTrip('tok1', broker.url, { token: TOKEN }, { token: TOKEN });
      const inUrl = `nats://${TOKEN}@${broker.hostport}`;
      await roundTrip('tok2', inUrl, {}, {});
      // Comma-separated string form, without the scheme.
      await roundTrip('tok3', `${TOKEN}@${broker.hostport}`, {}, { token: TOKEN });
    });

    it('a wrong or missing token fails at connect with an authorization error, once', async () => {
      await assertRefused(broker, broker.url, { token: 'wrong' }, 'wrong token option');
      await assertRefused(broker, `nats://wrong@${broker.hostport}`, {}, 'wrong token in URL');
      await assertRefused(broker, broker.url, {}, 'no token');
    });
  });

  describe('user and password', () => {
    // Characters that must be %-escaped in a URL.
    const USER = 'alice';
    const PASS = 'p@ss:w/rd#1 SECRET';
    let broker: NatsServerHandle;
    before(async () => {
      broker = await startNatsServer({ config: `authorization { user: ${USER}, password: ${JSON.stringify(PASS)} }` });
    });
    after(() => broker?.stop());

    it('user/pass options and nats://user:pass@host both work', async () => {
      await roundTrip('up1', broker.url, { user: USER, pass: PASS }, { user: USER, pass: PASS });
      const inUrl = `nats://${USER}:${encodeURIComponent(PASS)}@${broker.hostport}`;
      await roundTrip('up2', inUrl, {}, {});
      await roundTrip('up3', [inUrl], { user: USER, pass: PASS }, {});
    });

    it('a wrong password fails at connect with an authorization error, once', async () => {
      await assertRefused(broker, broker.url, { user: USER, pass: 'nope' }, 'wrong password option');
      await assertRefused(broker, `nats://${USER}:nope@${broker.hostport}`, {}, 'wrong password in URL');
      await assertRefused(broker, `nats://mallory:${encodeURIComponent(PASS)}@${broker.hostport}`, {}, 'wrong user in URL');
    });
  });

  describe('NKey', () => {
    const user = createNkeyUser();
    const stranger = createNkeyUser();
    let broker: NatsServerHandle;
    before(async () => {
      broker = await startNatsServer({ config: nkeyAuthorizationConfig([user.publicKey]) });
    });
    after(() => broker?.stop());

    it('an NKey authenticator works', async () => {
      await roundTrip('nk', broker.url, { authenticator: nkeyAuthenticator(user.seed) }, { authenticator: nkeyAuthenticator(user.seed) });
    });

    it('an unknown NKey fails at connect with an authorization error, once', async () => {
      await assertRefused(broker, broker.url, { authenticator: nkeyAuthenticator(stranger.seed) }, 'unknown NKey');
    });
  });

  describe('TLS with client certificates (generated by the test)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'picom-sec-tls-'));
    let certs: TlsCertificates;
    let broker: NatsServerHandle;
    before(async () => {
      certs = await generateTlsCertificates(dir);
      broker = await startNatsServer({ config: tlsServerConfig(certs, { verify: true }) });
    });
    after(async () => {
      await broker?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a client certificate signed by the CA works', async () => {
      const tls = { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
      await roundTrip('tls', broker.url, { tls }, { tls });
      await roundTrip('tls2', `tls://${broker.hostport}`, { tls }, { tls });
    });

    it('no client certificate fails at connect with an authorization error, once', async () => {
      await assertRefused(broker, broker.url, { tls: { caFile: certs.caFile } }, 'no client certificate');
    });

    it('an untrusted server fails at connect with a clear error, without retrying', async () => {
      const result = await within(outcome(new Picom('untrusted', { servers: broker.url, tls: { certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } }).connect()), FAIL_FAST_MS * 2, 'untrusted');
      assert.ok(result.error instanceof PicomConnectionError, String(result.error));
      assert.equal(result.error.code, PicomConnectionErrorCode.CONNECT_FAILED);
      assert.match(result.error.message, /Cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*(certificate|verify)/i);
      assert.ok(result.ms < FAIL_FAST_MS, `took ${result.ms.toFixed(0)} ms`);
    });
  });

  describe('credentials that stop working while connected', () => {
    let broker: NatsServerHandle | undefined;
    after(() => broker?.stop());

    it('with retries: -1 the endpoint still closes with an authorization error instead of looping', async (t) => {
      broker = await startNatsServer({ config: 'authorization { token: "old-SECRET" }' });
      const port = broker.port;
      const log = new CapturingLogger();
      const caller = new Picom('rotated', { servers: broker.url, token: 'old-SECRET', retries: -1, logger: log });
      const closed = new Promise<Error | undefined>((resolve) => caller.on('close', resolve));
      const errors: Error[] = [];
      caller.on('error', (err) => errors.push(err));
      await caller.connect();
      try {
        // The broker comes back on the same port with another token.
        await broker.stop();
        broker = await startNatsServer({ port, config: 'authorization { token: "new-SECRET" }' });
        const started = performance.now();
        const reason = await within(closed, 15_000, 'close after the credentials were rotated');
        const closedMs = performance.now() - started;
        assertAuthorizationError(reason, 'close event');
        assert.match(reason.message, /while reconnecting/);
        assert.ok(errors.some((e) => e instanceof PicomConnectionError && e.code === PicomConnectionErrorCode.AUTHORIZATION), errors.map(String).join('\n'));
        assert.match(log.errors().join('\n'), /authorization failed/i);
        await sleep(500); // the broker's log of the last refusal may lag behind the client
        const attempts = refusals(broker);
        await sleep(2_500);
        assert.equal(refusals(broker), attempts, 'still retrying after closing');
        assert.ok(attempts >= 1 && attempts <= 3, `${attempts} refused attempts`);
        const call = await outcome(caller.request('rotated.echo', 'x'));
        assertAuthorizationError(call.error, 'a call after the close');
        t.diagnostic(`rotated credentials: closed ${closedMs.toFixed(0)} ms after the broker came back, after ${attempts} refused attempts`);
      } finally {
        await caller.close();
      }
    });
  });

  it('a server that refuses nobody but is not there: the error says so, not authorization', async () => {
    const broker = await startNatsServer();
    const url = broker.url;
    await broker.stop();
    const result = await within(outcome(new Picom('absent', { servers: url }).connect()), FAIL_FAST_MS * 2, 'absent');
    assert.ok(result.error instanceof PicomConnectionError);
    assert.equal(result.error.code, PicomConnectionErrorCode.CONNECT_FAILED);
    assert.match(result.error.message, /connection refused/);
  });
});
