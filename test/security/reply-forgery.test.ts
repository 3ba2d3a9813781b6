import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import { Picom } from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { rawConnect } from '../fixtures/raw-nats.fixture.js';
import { CapturingLogger, outcome, within } from '../fixtures/picom-test.helpers.js';

/**
 * Finding 1 of the security issue: every reply of an endpoint arrives on one
 * `_INBOX.<nuid>.*` subscription, matched by a token. A malicious service sees
 * the reply subject of each request it gets; when tokens came from a counter
 * it could spray the neighbouring tokens and answer the caller's other calls
 * (100 of 100 forged). The attack is reproduced here with a raw nats.js
 * connection as the malicious service.
 */

const IN_FLIGHT = 100;
/** How long the honest service takes: the spray lands while every call is pending. */
const HONEST_DELAY = 1_500;
/** Counter neighbours tried on each side of the token seen, in base 36 as the old counter wrote them. */
const NEIGHBOURS = 1_000;
/** Random guesses shaped like the token seen (same length, same alphabet). */
const GUESSES = 10_000;
const FORGED = { forged: true };

const encoder = new TextEncoder();
const FORGED_BODY = encoder.encode(JSON.stringify({ payload: FORGED }));

/** The requester behind an endpoint, for its counter (not public API yet: the discovery stats will read it). */
function requesterOf(endpoint: Picom | PicomClient): { size: number; unmatchedReplies: number } {
  return (endpoint as unknown as { endpoint: { requester: { size: number; unmatchedReplies: number } } }).endpoint.requester;
}

/**
 * A malicious service `evil`: answers its own request, then sprays forged
 * replies at every token it can guess from that request's reply subject.
 * Resolves with the number of forged replies sent.
 */
function startAttacker(nc: NatsConnection): { seen: Promise<string>; sprayed: Promise<number> } {
  let onSprayed!: (count: number) => void;
  let onSeen!: (reply: string) => void;
  const sprayed = new Promise<number>((resolve) => (onSprayed = resolve));
  const seen = new Promise<string>((resolve) => (onSeen = resolve));
  nc.subscribe('evil.>', {
    callback: (_err, msg: Msg) => {
      const reply = msg.reply ?? '';
      onSeen(reply);
      nc.publish(reply, encoder.encode('{"payload":"pong"}'));
      const cut = reply.lastIndexOf('.');
      const inbox = reply.slice(0, cut + 1);
      const token = reply.slice(cut + 1);
      let count = 0;
      // What a counter would make of the calls around this one.
      const n = Number.parseInt(token, 36);
      const from = Number.isSafeInteger(n) ? Math.max(1, n - NEIGHBOURS) : 1;
      for (let i = from; i <= from + 2 * NEIGHBOURS; i++) {
        nc.publish(inbox + i.toString(36), FORGED_BODY);
        count++;
      }
      // Guesses shaped like the token seen, whatever scheme made it.
      for (let i = 0; i < GUESSES; i++) {
        nc.publish(inbox + randomBytes(Math.ceil((token.length * 3) / 4)).toString('base64url').slice(0, token.length), FORGED_BODY);
        count++;
      }
      onSprayed(count);
    },
  });
  return { seen, sprayed };
}

describe('reply forgery: a service that sees one reply subject cannot answer the caller\'s other calls', () => {
  let broker: NatsServerHandle;
  let honest: Picom;
  let attacker: NatsConnection;

  before(async () => {
    broker = await startNatsServer();
    honest = new Picom('vault', { servers: broker.url });
    await honest.expose({
      get: async (msg: { id: number }) => {
        await new Promise((resolve) => setTimeout(resolve, HONEST_DELAY));
        return { honest: msg.id };
      },
      ping: () => 'pong',
    });
  });

  after(async () => {
    await honest?.close();
    await broker?.stop();
  });

  /** Runs the attack against `call` (one endpoint's way of calling) and checks that nothing forged got through. */
  async function attack(
    caller: Picom | PicomClient,
    call: (subject: string, message: unknown) => Promise<unknown>,
  ): Promise<void> {
    attacker = await rawConnect(broker.url);
    try {
      const { seen, sprayed } = startAttacker(attacker);
      await attacker.flush();
      await call('vault.ping', {}); // connected, requester in place
      const requester = requesterOf(caller);
      const before = requester.unmatchedReplies;

      const calls = Array.from({ length: IN_FLIGHT }, (_, id) => outcome(call('vault.get', { id })));
      assert.equal(await call('evil.ping', {}), 'pong');
      const count = await within(sprayed, 5_000, 'spray');
      await attacker.flush();

      const results = await within(Promise.all(calls), HONEST_DELAY + 10_000, 'in-flight calls');
      const forged = results.filter((r) => r.ok && JSON.stringify(r.value) === JSON.stringify(FORGED)).length;
      assert.equal(forged, 0, `${forged} of ${IN_FLIGHT} calls resolved with the forged payload`);
      results.forEach((r, id) => {
        assert.ok(r.ok, `call ${id}: ${String(r.error)}`);
        assert.deepEqual(r.value, { honest: id });
      });
      assert.equal(requester.size, 0);
      // Every forged reply reached the caller's inbox and was dropped and counted; nothing else was unmatched.
      await waitUntil(() => requester.unmatchedReplies - before >= count, {
        timeout: 5_000,
        message: () => `${requester.unmatchedReplies - before} of ${count} forged replies counted`,
      });
      assert.equal(requester.unmatchedReplies - before, count);
      assert.match(await seen, /^_INBOX\.[A-Za-z0-9]+\.[A-Za-z0-9_-]{11}$/, 'a reply subject ends in 64 random bits, base64url');
    } finally {
      await attacker.close();
    }
  }

  it(`Picom.request: 0 of ${IN_FLIGHT} in-flight calls take a forged reply`, async () => {
    const caller = new Picom('victim', { servers: broker.url, timeout: 15_000 });
    try {
      await attack(caller, (subject, message) => caller.request(subject, message));
    } finally {
      await caller.close();
    }
  });

  it(`PicomClient.send: 0 of ${IN_FLIGHT} in-flight calls take a forged reply`, async () => {
    const caller = new PicomClient({ servers: broker.url, timeout: 15_000, logger: new CapturingLogger() });
    try {
      await attack(caller, (subject, message) => firstValueFrom(caller.send(subject, message)));
    } finally {
      await caller.close();
    }
  });

  it('reply tokens do not repeat and share nothing but the inbox', async () => {
    const spy = await rawConnect(broker.url);
    const caller = new Picom('tokens', { servers: broker.url, timeout: 5_000 });
    const subjects: string[] = [];
    try {
      spy.subscribe('spy.>', {
        callback: (_err, msg) => {
          subjects.push(msg.reply ?? '');
          msg.respond(encoder.encode('{}'));
        },
      });
      await spy.flush();
      // More than one pool of random bytes: tokens stay fresh across refills.
      for (let batch = 0; batch < 3; batch++) {
        await Promise.all(Array.from({ length: 500 }, () => caller.request('spy.token')));
      }
      assert.equal(subjects.length, 1_500);
      const inbox = subjects[0]!.slice(0, subjects[0]!.lastIndexOf('.') + 1);
      const tokens = subjects.map((s) => {
        assert.ok(s.startsWith(inbox), s);
        return s.slice(inbox.length);
      });
      assert.equal(new Set(tokens).size, tokens.length, 'no token twice');
      for (const token of tokens) assert.match(token, /^[A-Za-z0-9_-]{11}$/);
      // No shared prefix beyond chance: a counter's tokens would share most characters.
      const firstChars = new Set(tokens.map((t) => t[0]));
      assert.ok(firstChars.size > 40, `only ${firstChars.size} distinct first characters`);
    } finally {
      await caller.close();
      await spy.close();
    }
  });
});
