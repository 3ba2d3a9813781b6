import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, errors, type NatsConnection } from '@nats-io/transport-node';
import { PicomConnectionError, PicomConnectionErrorCode, PicomDiscovery, PicomError } from 'picom';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server.harness.js';

/**
 * A discovery request that cannot be made fails with a `PicomError`, as every
 * other Picom call does, with the nats.js error kept as its cause.
 */

const AUTHORIZATION = `authorization {
  users: [
    { user: open, password: open }
    { user: nosrv, password: nosrv, permissions: { publish: { deny: ["$SRV.>"] }, subscribe: { deny: ["_INBOX.>"] } } }
  ]
}`;

describe('PicomDiscovery failures', () => {
  let nats: NatsServerHandle;

  before(async () => {
    nats = await startNatsServer({ config: AUTHORIZATION });
  });

  after(async () => {
    await nats?.stop();
  });

  it('on a closed connection: a PicomConnectionError CLOSED, caused by the nats.js error', async () => {
    const nc = await connect({ servers: nats.url, user: 'open', pass: 'open', reconnect: false });
    await nc.close();
    const err = await new PicomDiscovery(nc).ping(undefined, { timeout: 200 }).then(
      () => assert.fail('resolved on a closed connection'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PicomConnectionError, String(err));
    assert.equal(err.code, PicomConnectionErrorCode.CLOSED);
    assert.ok(err.cause instanceof errors.ClosedConnectionError, String(err.cause));
  });

  it('on a connection whose user may not use its inbox: a PicomError naming the reason', async () => {
    const nc: NatsConnection = await connect({ servers: nats.url, user: 'nosrv', pass: 'nosrv', reconnect: false });
    try {
      const err = await new PicomDiscovery(nc).ping(undefined, { timeout: 500 }).then(
        () => assert.fail('resolved although the inbox is denied'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof PicomError, String(err));
      assert.match(err.message, /^Discovery request failed: .*permission/i);
      assert.ok(err.cause instanceof Error && !(err.cause instanceof PicomError), 'the nats.js error is the cause');
    } finally {
      await nc.close();
    }
  });
});
