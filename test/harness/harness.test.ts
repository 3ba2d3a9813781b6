import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import {
  freePort,
  startCluster,
  startNatsServer,
  waitForRemoteInterest,
  waitUntil,
  type NatsServerHandle,
} from './nats-server.harness.js';
import { createNkeyUser, generateTlsCertificates, nkeyAuthorizationConfig, tlsServerConfig } from './tls.harness.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Alive and not a zombie. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Connects once, without retrying: rejects when nothing accepts it. */
function connectOnce(servers: string, extra: Parameters<typeof connect>[0] = {}): Promise<NatsConnection> {
  return connect({ servers, reconnect: false, timeout: 2_000, ...extra });
}

/** A publish on `pub` reaches a subscription on `sub`. */
async function roundTrip(sub: NatsConnection, pub: NatsConnection, subject: string): Promise<string> {
  const subscription = sub.subscribe(subject, { max: 1 });
  await sub.flush();
  pub.publish(subject, enc.encode('ping'));
  await pub.flush();
  for await (const msg of subscription) {
    return dec.decode(msg.data);
  }
  throw new Error('subscription ended without a message');
}

describe('startNatsServer', () => {
  it('starts a server on a loopback port of its own that clients can use', async (t) => {
    const server = await startNatsServer();
    t.after(() => server.stop());

    assert.equal(server.running, true);
    assert.ok(server.port > 0 && server.port !== 4222, `port ${server.port}`);
    assert.equal(server.hostport, `127.0.0.1:${server.port}`);
    assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
    assert.ok(isAlive(server.pid));
    assert.match(server.output, /Server is ready/);

    const varz = await server.monitor<{ port: number; host: string }>('varz');
    assert.equal(varz.port, server.port);
    assert.equal(varz.host, '127.0.0.1');

    const nc = await connectOnce(server.url);
    t.after(() => nc.close());
    assert.equal(await roundTrip(nc, nc, 'harness.hello'), 'ping');
    assert.equal(nc.info?.port, server.port);
  });

  it('stop() ends the process and the port refuses connections', async () => {
    const server = await startNatsServer();
    const pid = server.pid;
    await server.stop();
    assert.equal(server.running, false);
    await waitUntil(() => !isAlive(pid), { message: `pid ${pid} still alive` });
    await assert.rejects(connectOnce(server.url));
    await server.stop(); // idempotent
  });

  it('listens on the port it is given', async (t) => {
    const port = await freePort();
    const server = await startNatsServer({ port });
    t.after(() => server.stop());
    assert.equal(server.port, port);
    const nc = await connectOnce(`127.0.0.1:${port}`);
    await nc.close();
  });

  it('applies maxPayload and extra config text', async (t) => {
    const server = await startNatsServer({ maxPayload: 2048, config: 'authorization { token: "s3cret" }' });
    t.after(() => server.stop());

    await assert.rejects(connectOnce(server.url), /Authorization Violation/i);
    const nc = await connectOnce(server.url, { token: 's3cret' });
    t.after(() => nc.close());
    assert.equal(nc.info?.max_payload, 2048);
  });

  it('passes extra args', async (t) => {
    const server = await startNatsServer({ args: ['--user', 'alice', '--pass', 'pw'] });
    t.after(() => server.stop());
    await assert.rejects(connectOnce(server.url), /Authorization Violation/i);
    const nc = await connectOnce(server.url, { user: 'alice', pass: 'pw' });
    await nc.close();
  });

  it('fails with the server output when the server cannot start', async () => {
    await assert.rejects(startNatsServer({ config: 'this is { not valid' }), (err: Error) => {
      assert.match(err.message, /^nats-server failed to start on a free port: /);
      assert.match(err.message, /exited before it was ready/);
      assert.match(err.message, /--- nats-server output ---\n.*[Pp]arse error/s);
      return true;
    });
  });

  it('fails when the port is taken', async (t) => {
    const first = await startNatsServer();
    t.after(() => first.stop());
    await assert.rejects(
      startNatsServer({ port: first.port }),
      new RegExp(`failed to start on 127\\.0\\.0\\.1:${first.port}: [\\s\\S]*address already in use`),
    );
  });

  it('kill() crashes the server; restart() brings it back on the same port', async (t) => {
    const server = await startNatsServer();
    t.after(() => server.stop());
    const { port, pid } = server;

    const survivor = await connect({
      servers: server.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 50,
    });
    t.after(() => survivor.close());
    const reconnected = (async () => {
      for await (const status of survivor.status()) {
        if (status.type === 'reconnect') return true;
      }
      return false;
    })();

    await server.kill();
    assert.equal(server.running, false);
    await waitUntil(() => !isAlive(pid), { message: `pid ${pid} still alive after SIGKILL` });
    await assert.rejects(connectOnce(server.url));

    await server.restart();
    assert.equal(server.running, true);
    assert.equal(server.port, port);
    assert.notEqual(server.pid, pid);
    assert.ok(isAlive(server.pid));

    const fresh = await connectOnce(server.url);
    t.after(() => fresh.close());
    assert.equal(await reconnected, true);
    assert.equal(await roundTrip(fresh, survivor, 'harness.after-restart'), 'ping');
  });

  it('restart() of a running server replaces the process', async (t) => {
    const server = await startNatsServer({ config: 'authorization { token: "t" }' });
    t.after(() => server.stop());
    const pid = server.pid;
    await server.restart();
    assert.notEqual(server.pid, pid);
    assert.ok(!isAlive(pid));
    // Same config after the restart.
    await assert.rejects(connectOnce(server.url), /Authorization Violation/i);
    const nc = await connectOnce(server.url, { token: 't' });
    await nc.close();
  });
});

describe('startCluster', () => {
  it('forms a 3-node cluster: a message published on C reaches a subscriber on A', async (t) => {
    const cluster = await startCluster(3);
    t.after(() => cluster.stopAll());
    const [a, b, c] = cluster.nodes as [NatsServerHandle, NatsServerHandle, NatsServerHandle];

    assert.equal(cluster.servers.length, 3);
    assert.equal(new Set(cluster.servers).size, 3);
    assert.deepEqual(cluster.servers, [a.url, b.url, c.url]);
    for (const node of cluster.nodes) {
      const routez = await node.monitor<{ routes: { remote_id: string }[] }>('routez');
      assert.equal(new Set(routez.routes.map((r) => r.remote_id)).size, 2, `routes of ${node.hostport}`);
      const varz = await node.monitor<{ cluster: { name: string } }>('varz');
      assert.equal(varz.cluster.name, cluster.name);
    }

    const onA = await connectOnce(a.url);
    t.after(() => onA.close());
    const onC = await connectOnce(c.url);
    t.after(() => onC.close());

    const subscription = onA.subscribe('harness.cluster', { max: 1 });
    await onA.flush();
    await waitForRemoteInterest(c, 'harness.cluster');
    onC.publish('harness.cluster', enc.encode('from C'));
    await onC.flush();
    for await (const msg of subscription) {
      assert.equal(dec.decode(msg.data), 'from C');
    }
    assert.equal(subscription.getProcessed(), 1);
  });

  it('a killed node rejoins the cluster after restart()', async (t) => {
    const cluster = await startCluster(3);
    t.after(() => cluster.stopAll());
    const [a, b] = cluster.nodes as [NatsServerHandle, NatsServerHandle];

    await a.kill();
    await cluster.waitForRoutes(); // the two survivors still see each other
    await a.restart();
    await cluster.waitForRoutes();
    const routez = await a.monitor<{ routes: { remote_id: string }[] }>('routez');
    assert.equal(new Set(routez.routes.map((r) => r.remote_id)).size, 2);

    const onA = await connectOnce(a.url);
    t.after(() => onA.close());
    const onB = await connectOnce(b.url);
    t.after(() => onB.close());
    const subscription = onB.subscribe('harness.rejoin', { max: 1 });
    await onB.flush();
    await waitForRemoteInterest(a, 'harness.rejoin');
    onA.publish('harness.rejoin', enc.encode('back'));
    for await (const msg of subscription) {
      assert.equal(dec.decode(msg.data), 'back');
    }
  });

  it('stopAll() stops every node', async () => {
    const cluster = await startCluster(2);
    const pids = cluster.nodes.map((n) => n.pid);
    await cluster.stopAll();
    assert.deepEqual(
      cluster.nodes.map((n) => n.running),
      [false, false],
    );
    await waitUntil(() => pids.every((pid) => !isAlive(pid)), { message: 'cluster processes still alive' });
  });
});

describe('security helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'picom-tls-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('generateTlsCertificates: a server requiring TLS and client certificates accepts the client cert', async (t) => {
    const certs = await generateTlsCertificates(dir);
    for (const file of [certs.caFile, certs.serverCertFile, certs.serverKeyFile, certs.clientCertFile, certs.clientKeyFile]) {
      assert.ok(existsSync(file), file);
    }
    const server = await startNatsServer({ config: tlsServerConfig(certs, { verify: true }) });
    t.after(() => server.stop());

    const nc = await connectOnce(server.url, {
      tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
    });
    t.after(() => nc.close());
    assert.equal(nc.info?.tls_required, true);
    assert.equal(nc.info?.tls_verify, true);
    assert.equal(await roundTrip(nc, nc, 'harness.tls'), 'ping');

    // Without a client certificate the server refuses the handshake.
    await assert.rejects(connectOnce(server.url, { tls: { caFile: certs.caFile } }));
    // Without the CA the client does not trust the server.
    await assert.rejects(
      connectOnce(server.url, { tls: { certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } }),
    );
  });

  it('createNkeyUser: the server admits the NKey user and nobody else', async (t) => {
    const user = createNkeyUser();
    const stranger = createNkeyUser();
    assert.match(user.publicKey, /^U[A-Z2-7]{55}$/);
    assert.match(dec.decode(user.seed), /^SU[A-Z2-7]{56}$/);
    assert.notEqual(user.publicKey, stranger.publicKey);

    const server = await startNatsServer({ config: nkeyAuthorizationConfig([user.publicKey]) });
    t.after(() => server.stop());
    const nc = await connectOnce(server.url, { authenticator: nkeyAuthenticator(user.seed) });
    await nc.close();
    await assert.rejects(
      connectOnce(server.url, { authenticator: nkeyAuthenticator(stranger.seed) }),
      /Authorization Violation/i,
    );
    await assert.rejects(connectOnce(server.url), /Authorization Violation/i);
  });
});

describe('cleanup on exit', () => {
  const harnessUrl = new URL('./nats-server.harness.js', import.meta.url).href;

  /**
   * Runs a child Node process that starts a server (temp dirs under its own
   * TMPDIR), prints the pid, then does `ending`; returns the pid once the
   * child has exited.
   */
  async function orphanCheck(ending: string, signal?: NodeJS.Signals): Promise<{ pid: number; tmp: string }> {
    const tmp = mkdtempSync(join(tmpdir(), 'picom-orphan-'));
    const script = `
      const { startNatsServer } = await import(${JSON.stringify(harnessUrl)});
      const server = await startNatsServer();
      console.log('PID ' + server.pid);
      ${ending}
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', () => undefined);
    const pid = await waitUntil(() => Number(/PID (\d+)/.exec(out)?.[1]), { message: 'child printed no pid' });
    if (signal) child.kill(signal);
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(0) : child.once('exit', resolve)));
    return { pid, tmp };
  }

  for (const [name, ending, signal] of [
    ['a normal exit', 'process.exitCode = 0;', undefined],
    ['an uncaught exception', "setTimeout(() => { throw new Error('boom'); }, 0);", undefined],
    ['SIGTERM', 'setInterval(() => {}, 1000);', 'SIGTERM'],
  ] as const) {
    it(`kills servers and removes temp dirs on ${name}`, async () => {
      const { pid, tmp } = await orphanCheck(ending, signal);
      try {
        await waitUntil(() => !isAlive(pid), { message: `nats-server ${pid} survived its test process` });
        assert.deepEqual(readdirSync(tmp), []);
      } finally {
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});
