import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomPermissionError } from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { sleep } from '../fixtures/raw-nats.fixture.js';
import { CapturingLogger } from '../fixtures/picom-test.helpers.js';

/**
 * README's "Securing a deployment" stays true: its nats-server configurations
 * run as written, give Picom endpoints what they need and nothing more, and
 * the limits it states (among them: a reply subject aimed at another
 * service) hold on a real nats-server.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The `conf` block under `### <heading>` in README.md. */
function confBlock(heading: string): string {
  const start = README.indexOf(`\n### ${heading}\n`);
  assert.ok(start >= 0, `README.md has no "### ${heading}" section`);
  const block = /\n```conf\n([\s\S]*?)\n```/.exec(README.slice(start));
  assert.ok(block?.[1], `no conf block under "${heading}"`);
  return block[1];
}

const PASSWORDS = { SERVICE1_PASSWORD: 'service1-secret', SERVICE2_PASSWORD: 'service2-secret', GATEWAY_PASSWORD: 'gateway-secret' };
const encoder = new TextEncoder();

/** A raw connection as one of the README's users, collecting the errors the server reports. */
async function rawAs(url: string, user: 'service1' | 'gateway', pass: string): Promise<{ nc: NatsConnection; errors: string[] }> {
  const nc = await connect({ servers: url, user, pass, inboxPrefix: `_INBOX.${user}`, reconnect: false });
  const errors: string[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error') errors.push(status.error.message);
    }
  })();
  return { nc, errors };
}

for (const [heading, aimedReplyArrives] of [
  ['Permissions, one account', true],
  ['Accounts', false],
] as const) {
  describe(`README "${heading}" on a real nats-server`, () => {
    let broker: NatsServerHandle;
    let service1: Picom;
    let service2: Picom;
    let gateway: PicomClient;
    const audited: unknown[] = [];
    const logs = new CapturingLogger();
    const saved: Record<string, string | undefined> = {};

    before(async () => {
      for (const [key, value] of Object.entries(PASSWORDS)) {
        saved[key] = process.env[key];
        process.env[key] = value;
      }
      broker = await startNatsServer({ config: confBlock(heading) });
      // service1 only serves: no inbox permission, no inboxPrefix (its reply inbox opens on a first call only).
      service1 = new Picom('service1', { servers: broker.url, user: 'service1', pass: PASSWORDS.SERVICE1_PASSWORD, logger: logs });
      await service1.expose({ add: (msg: { a: number; b: number }) => msg.a + msg.b, echo: (msg: unknown) => msg });
      service2 = new Picom('service2', { servers: broker.url, user: 'service2', pass: PASSWORDS.SERVICE2_PASSWORD, inboxPrefix: '_INBOX.service2', logger: logs });
      await service2.expose({
        audit: (msg: unknown) => {
          audited.push(msg);
          return 'audited';
        },
      });
      gateway = new PicomClient({ servers: broker.url, user: 'gateway', pass: PASSWORDS.GATEWAY_PASSWORD, inboxPrefix: '_INBOX.gateway', timeout: 3_000, logger: logs });
    });

    afterEach(() => {
      assert.deepEqual(logs.errors(), [], 'an endpoint logged an error');
    });

    after(async () => {
      await gateway?.close();
      await service2?.close();
      await service1?.close();
      await broker?.stop();
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    it('lets each user do its job: the gateway calls service1, service2 serves and calls service1', async () => {
      assert.equal(await firstValueFrom(gateway.send('service1.add', { a: 2, b: 5 })), 7);
      assert.equal(await service2.request('service1.add', { a: 1, b: 1 }), 2);
    });

    it('keeps the gateway from calling service2 and from reading other inboxes', async () => {
      const denied = await firstValueFrom(gateway.send('service2.audit', 1)).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(denied instanceof PicomPermissionError, String(denied));
      logs.lines.length = 0; // the refused call is logged, as it should be

      const raw = await rawAs(broker.url, 'gateway', PASSWORDS.GATEWAY_PASSWORD);
      try {
        raw.nc.subscribe('_INBOX.>', { callback: () => undefined });
        await raw.nc.flush().catch(() => undefined);
        await waitUntil(() => raw.errors.some((e) => /Permissions Violation for Subscription to "_INBOX\.>"/.test(e)), {
          message: () => `no violation: ${JSON.stringify(raw.errors)}`,
        });
      } finally {
        await raw.nc.close();
      }
    });

    it('keeps a service from publishing anything but its replies: no forged replies sprayed at inboxes', async () => {
      const evil = await rawAs(broker.url, 'service1', PASSWORDS.SERVICE1_PASSWORD);
      try {
        evil.nc.publish('_INBOX.gateway.guess.1', encoder.encode('{"payload":"forged"}'));
        evil.nc.publish('service2.audit', encoder.encode('"direct"'));
        await waitUntil(() => evil.errors.length >= 2, { message: () => `violations: ${JSON.stringify(evil.errors)}` });
        assert.match(evil.errors.join('\n'), /Publish to "_INBOX\.gateway\.guess\.1"/);
        assert.match(evil.errors.join('\n'), /Publish to "service2\.audit"/);
        assert.deepEqual(audited, []);
      } finally {
        await evil.nc.close();
      }
    });

    it(`${aimedReplyArrives ? 'cannot stop' : 'stops'} a request whose reply subject aims at another service`, async () => {
      const raw = await rawAs(broker.url, 'gateway', PASSWORDS.GATEWAY_PASSWORD);
      try {
        raw.nc.publish('service1.echo', encoder.encode('"aimed"'), { reply: 'service2.audit' });
        // Same connection, so service1 has answered the aimed request before this one.
        const reply = await raw.nc.request('service1.echo', encoder.encode('"after"'), { timeout: 3_000 });
        assert.equal(new TextDecoder().decode(reply.data), '{"payload":"after"}');
        if (aimedReplyArrives) {
          await waitUntil(() => audited.length > 0, { message: 'service2 never got the aimed reply' });
          assert.deepEqual(audited, [{ payload: 'aimed' }], 'the README says this arrives in one account');
        } else {
          await sleep(300);
          assert.deepEqual(audited, [], 'the reply crossed into the services account');
        }
      } finally {
        await raw.nc.close();
      }
    });
  });
}
