import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { firstValueFrom } from 'rxjs';
import { Picom, PicomPayloadTooLargeError, PicomRemoteError, PicomSubjectError, type PicomMethod } from 'picom';
import { PicomClient } from 'picom/nest';
import { startNatsServer, waitUntil, type NatsServerHandle } from '../harness/nats-server.harness.js';
import { outcome, startTestService, type TestService } from '../fixtures/picom-test.helpers.js';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });
const MAX_PAYLOAD = 4 * 1024 * 1024;
const DEEP = 100_000;

/** The same methods as the Nest test service, on a plain `Picom`. */
const PLAIN_METHODS: Record<string, PicomMethod> = {
  echo: (message) => message,
  measure: (message, msg) => {
    const type = message === null ? 'null' : Array.isArray(message) ? 'array' : typeof message;
    let length = -1;
    try {
      length = JSON.stringify(message)?.length ?? -1;
    } catch {
      // too deep to encode
    }
    return { type, length, method: msg.subject.slice(msg.subject.indexOf('.') + 1) };
  },
  big: (n: number) => 'x'.repeat(n),
  fail: (message) => {
    throw Object.assign(new Error('failed on purpose'), { code: 'E_TEST', data: message });
  },
};

/** A reply as a foreign client sees it: the raw body, which must be a JSON object. */
async function rawCall(nc: NatsConnection, subject: string, body: Uint8Array | string, timeout = 5_000): Promise<Record<string, unknown>> {
  const msg = await nc.request(subject, typeof body === 'string' ? enc.encode(body) : body, { timeout });
  const envelope = JSON.parse(dec.decode(msg.data)) as unknown;
  assert.ok(envelope !== null && typeof envelope === 'object' && !Array.isArray(envelope), `${subject}: reply ${dec.decode(msg.data).slice(0, 200)}`);
  return envelope as Record<string, unknown>;
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing fuzz run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('bad input', () => {
  let broker: NatsServerHandle;
  let nest: TestService;
  let plain: Picom;
  let raw: NatsConnection;
  const services = ['nestbad', 'plainbad'] as const;

  before(async () => {
    broker = await startNatsServer({ maxPayload: MAX_PAYLOAD });
    nest = await startTestService({ service: 'nestbad', servers: broker.url });
    plain = new Picom('plainbad', { servers: broker.url });
    await plain.expose(PLAIN_METHODS);
    raw = await connect({ servers: broker.url, maxReconnectAttempts: 0 });
  });

  after(async () => {
    await raw?.close();
    await plain?.close();
    await nest?.close();
    await broker?.stop();
  });

  describe('request bodies from foreign clients', () => {
    for (const service of services) {
      it(`${service}: not JSON, not UTF-8, empty, JSON scalars`, async () => {
        for (const body of ['{not json', '{"a":1', 'undefined', "{'a':1}", '\u0000', ' ']) {
          assert.deepEqual(await rawCall(raw, `${service}.echo`, body), { error: 'Bad JSON request' }, JSON.stringify(body));
        }
        for (const bytes of [[0xff, 0xfe, 0x7b], [0x22, 0xc3, 0x28, 0x22], [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]]) {
          assert.deepEqual(await rawCall(raw, `${service}.echo`, new Uint8Array(bytes)), { error: 'Bad JSON request' }, `bytes ${bytes}`);
        }
        assert.deepEqual(await rawCall(raw, `${service}.measure`, ''), { payload: { type: 'null', length: 4, method: 'measure' } });
        for (const [body, type] of [['42', 'number'], ['-0.5e3', 'number'], ['"text"', 'string'], ['true', 'boolean'], ['null', 'null'], ['[]', 'array'], ['{}', 'object']]) {
          const reply = await rawCall(raw, `${service}.measure`, body as string);
          assert.equal((reply['payload'] as { type: string }).type, type, `${body}`);
          assert.deepEqual(await rawCall(raw, `${service}.echo`, body as string), { payload: JSON.parse(body as string) });
        }
      });

      it(`${service}: ${DEEP.toLocaleString('en')} levels of nesting are decoded; echoing them back is an error envelope`, async () => {
        const deepArray = '['.repeat(DEEP) + ']'.repeat(DEEP);
        const deepObject = '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP);
        assert.deepEqual(await rawCall(raw, `${service}.measure`, deepArray), { payload: { type: 'array', length: -1, method: 'measure' } });
        assert.deepEqual(await rawCall(raw, `${service}.measure`, deepObject), { payload: { type: 'object', length: -1, method: 'measure' } });
        for (const body of [deepArray, deepObject]) {
          const reply = await rawCall(raw, `${service}.echo`, body);
          assert.match(String(reply['error']), /^Cannot encode the reply as JSON: .*call stack/, JSON.stringify(reply).slice(0, 200));
        }
        // An error carrying the deep value still produces an envelope.
        const failed = await rawCall(raw, `${service}.fail`, deepArray);
        assert.equal(typeof failed['error'], 'string');
        assert.deepEqual(await rawCall(raw, `${service}.echo`, '['.repeat(DEEP)), { error: 'Bad JSON request' });
        assert.deepEqual(await rawCall(raw, `${service}.echo`, '{"still":"alive"}'), { payload: { still: 'alive' } });
      });

      it(`${service}: a body of ${MAX_PAYLOAD / 1024 / 1024} MB (the server's max_payload) arrives whole; a huge broken one is refused`, async () => {
        const text = 'y'.repeat(MAX_PAYLOAD - 100);
        const body = JSON.stringify({ text });
        const reply = await rawCall(raw, `${service}.measure`, body, 10_000);
        assert.deepEqual(reply, { payload: { type: 'object', length: body.length, method: 'measure' } });
        assert.deepEqual(await rawCall(raw, `${service}.measure`, body.slice(0, -1), 10_000), { error: 'Bad JSON request' });
      });
    }
  });

  describe('subjects', () => {
    const INVALID = ['nestbad', 'nestbad.', '.echo', 'nestbad.echo.extra', 'nestbad.*', 'nestbad.>', '*.echo', '>', 'nestbad .echo',
      'nestbad. echo', 'nestbad.ec ho', 'nestbad..echo', 'nestbad.echo\t', 'nestbad.\necho', '', ' '];

    it('callers refuse invalid subjects before anything is sent', async () => {
      const spy = raw.subscribe('>');
      const seen: string[] = [];
      void (async () => {
        for await (const m of spy as AsyncIterable<Msg>) seen.push(m.subject);
      })();
      await raw.flush();
      const client = new PicomClient({ servers: broker.url, timeout: 2_000 });
      const caller = new Picom('subjects', { servers: broker.url, timeout: 2_000 });
      try {
        await client.connect();
        await caller.connect();
        for (const subject of [...INVALID, 123 as unknown as string, { cmd: 'echo' } as unknown as string]) {
          const what = JSON.stringify(subject);
          const results = await Promise.all([
            outcome(caller.request(subject, 1)),
            outcome(caller.publish(subject, 1)),
            outcome(firstValueFrom(client.send(subject, 1))),
            outcome(firstValueFrom(client.emit(subject, 1))),
          ]);
          for (const [i, r] of results.entries()) {
            assert.ok(r.error instanceof PicomSubjectError, `${what} via ${['request', 'publish', 'send', 'emit'][i]}: ${String(r.error)}`);
            assert.match(r.error.message, /Invalid Picom subject/);
            assert.ok(r.ms < 100, `${what}: ${r.ms} ms`);
          }
        }
        // A valid publish afterwards is the only message the spy sees (so it does see messages).
        await caller.publish('nestbad.echo', 'valid');
        await caller.unwrap().flush();
        await client.unwrap().flush();
        await raw.flush();
        await waitUntil(() => seen.length > 0, { message: 'the spy saw nothing' });
        assert.deepEqual(seen, ['nestbad.echo'], 'something was sent');
      } finally {
        (spy as Subscription).unsubscribe();
        await client.close();
        await caller.close();
      }
    });

    for (const service of services) {
      it(`${service}: odd method names from foreign clients are answered "Method not found"`, async () => {
        const odd = ['a.b', 'echo.extra', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'ECHO', 'ünïcödé', '$SYS', 'a-b',
          'm'.repeat(2_000), '"quoted"', '\\', '{}', '%20'];
        for (const method of odd) {
          assert.deepEqual(await rawCall(raw, `${service}.${method}`, '{}'), { error: `Method not found ${JSON.stringify(method)}` }, method.slice(0, 40));
        }
        assert.deepEqual(await rawCall(raw, `${service}.echo`, '"ok"'), { payload: 'ok' });
      });
    }
  });

  describe('max_payload', () => {
    let small: NatsServerHandle;
    let smallNest: TestService;
    let smallPlain: Picom;
    const LIMIT = 64 * 1024;
    before(async () => {
      small = await startNatsServer({ maxPayload: LIMIT });
      smallNest = await startTestService({ service: 'nestbig', servers: small.url });
      smallPlain = new Picom('plainbig', { servers: small.url });
      await smallPlain.expose(PLAIN_METHODS);
    });
    after(async () => {
      await smallPlain?.close();
      await smallNest?.close();
      await small?.stop();
    });

    it('a request larger than max_payload is refused at once by the caller, naming the limit', async () => {
      const client = new PicomClient({ servers: small.url, timeout: 10_000 });
      const caller = new Picom('bigcaller', { servers: small.url, timeout: 10_000 });
      try {
        await client.connect();
        await caller.connect();
        const message = { text: 'z'.repeat(LIMIT) };
        const size = JSON.stringify(message).length;
        const results = await Promise.all([
          outcome(caller.request('nestbig.echo', message)),
          outcome(caller.publish('nestbig.echo', message)),
          outcome(firstValueFrom(client.send('plainbig.echo', message))),
          outcome(firstValueFrom(client.emit('plainbig.echo', message))),
        ]);
        for (const [i, r] of results.entries()) {
          assert.ok(r.error instanceof PicomPayloadTooLargeError, `${i}: ${String(r.error)}`);
          assert.equal(r.error.limit, LIMIT);
          assert.equal(r.error.size, size);
          assert.match(r.error.message, new RegExp(`is ${size} bytes, larger than the server's max_payload of ${LIMIT} bytes`));
          assert.ok(r.ms < 100, `${i}: ${r.ms} ms`);
        }
        // Multi-byte characters count as bytes, not characters.
        const wide = await outcome(caller.request('nestbig.echo', 'é'.repeat(LIMIT / 2)));
        assert.ok(wide.error instanceof PicomPayloadTooLargeError);
        // Just under the limit still goes through.
        const fits = 'w'.repeat(LIMIT - 200);
        assert.equal(await caller.request('nestbig.echo', fits), fits);
      } finally {
        await client.close();
        await caller.close();
      }
    });

    for (const service of ['nestbig', 'plainbig']) {
      it(`${service}: a reply larger than max_payload comes back at once as an error envelope`, async () => {
        const caller = new Picom('bigcaller', { servers: small.url, timeout: 10_000 });
        try {
          const r = await outcome(caller.request(`${service}.big`, LIMIT * 2));
          assert.ok(r.error instanceof PicomRemoteError, String(r.error));
          assert.match(r.error.message, new RegExp(`^Reply is ${LIMIT * 2 + '{"payload":""}'.length} bytes, larger than the server's max_payload of ${LIMIT} bytes$`));
          assert.ok(r.ms < 1_000, `${r.ms} ms: a timeout, not an error envelope`);
          assert.equal((await caller.request(`${service}.big`, 10)).length, 10);
        } finally {
          await caller.close();
        }
      });
    }
  });

  describe('fuzz', () => {
    const COUNT = 5_000;
    const SEED = Number(process.env['PICOM_FUZZ_SEED'] ?? 20_261_125);

    function fuzzInput(rand: () => number): { method: string; body: Uint8Array } {
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
      const int = (n: number): number => Math.floor(rand() * n);
      const tokenChars = 'abcXYZ019_-$%&#@!~^()[]{}|\\/\'"`?=+,;:éü漢🙂';
      const method =
        rand() < 0.5
          ? pick(['echo', 'measure', 'fail', 'relay', 'ECHO', ''])
          : Array.from({ length: 1 + int(3) }, () => Array.from({ length: 1 + int(12) }, () => pick([...tokenChars])).join('')).join('.');
      const value = (depth: number): unknown => {
        switch (depth > 4 ? int(4) : int(7)) {
          case 0: return rand() * 1e6 - 5e5;
          case 1: return Array.from({ length: int(8) }, () => pick([...tokenChars])).join('');
          case 2: return pick([true, false, null]);
          case 3: return int(2 ** 31);
          case 4: return Array.from({ length: int(5) }, () => value(depth + 1));
          case 5: return Object.fromEntries(Array.from({ length: int(5) }, () => [pick(['a', 'b', '__proto__', 'constructor', 'message', 'error', 'payload']), value(depth + 1)]));
          default: return { subject: pick(['fuzz.x', 'nope', 'a.b.c']), data: value(depth + 1) };
        }
      };
      let body: Uint8Array;
      switch (int(6)) {
        case 0:
          body = Uint8Array.from({ length: int(64) }, () => int(256));
          break;
        case 1:
          body = new Uint8Array(0);
          break;
        case 2: {
          const text = JSON.stringify(value(0)) ?? '';
          body = enc.encode(text.slice(0, int(text.length + 1)));
          break;
        }
        case 3:
          body = enc.encode(pick(['[', '{', '"', '{"a":', ']]', 'nul', '1e9999', '-', '0x10', 'NaN', '[1,]', '{"a" 1}']).repeat(1 + int(50)));
          break;
        default:
          body = enc.encode(JSON.stringify(value(0)) ?? '');
      }
      return { method, body };
    }

    for (const service of services) {
      it(`${service}: ${COUNT} random bodies and method names each get a JSON reply, and the service keeps answering`, async (t) => {
        const rand = random(SEED + service.length);
        const failures: string[] = [];
        let errors = 0;
        let payloads = 0;
        let checked = 0;
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < COUNT) {
            const i = next++;
            const { method, body } = fuzzInput(rand);
            if (i % 10 === 0) {
              // Fire-and-forget noise: nothing may come back, and nothing may break.
              raw.publish(`${service}.${method || 'echo'}`, body);
            }
            try {
              const envelope = await rawCall(raw, `${service}.${method || 'echo'}`, body, 5_000);
              if ('error' in envelope) {
                assert.equal(typeof envelope['error'], 'string');
                errors++;
              } else {
                payloads++;
              }
            } catch (err) {
              failures.push(`#${i} ${service}.${method} body ${Buffer.from(body).toString('hex').slice(0, 80)}: ${(err as Error).message}`);
            }
            if (i % 100 === 0) {
              // Known answers in between: the service still answers correctly.
              const probe = { i, nested: [i, { s: String(i) }] };
              assert.deepEqual(await rawCall(raw, `${service}.echo`, JSON.stringify(probe)), { payload: probe });
              checked++;
            }
          }
        };
        await Promise.all(Array.from({ length: 50 }, worker));
        assert.deepEqual(failures.slice(0, 10), [], `${failures.length} requests without a JSON reply (seed ${SEED})`);
        assert.equal(errors + payloads, COUNT);
        assert.deepEqual(await rawCall(raw, `${service}.echo`, '"after the fuzz"'), { payload: 'after the fuzz' });
        t.diagnostic(`fuzz ${service} (seed ${SEED}): ${COUNT} requests, ${payloads} payload replies, ${errors} error replies, ${checked} known-answer probes correct`);
      });
    }
  });
});
