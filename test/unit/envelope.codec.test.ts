import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeReply,
  decodeRequest,
  encodeError,
  encodeFailure,
  encodeRequest,
  encodeSuccess,
  errorText,
} from '../../lib/protocol/envelope.codec.js';
import { PicomBadResponseError, PicomError, PicomRemoteError, PicomReplyError, PicomTimeoutError } from '../../lib/errors/index.js';

/**
 * The codec against the exact bytes of /work/shared/picom-wire-protocol.md:
 * what the original Picom sends and accepts.
 */

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
/** `encodeSuccess` as text, to compare with the original's string. */
const success = (value: unknown): string => new TextDecoder().decode(encodeSuccess(value));
const SUBJECT = 'service1.add';

/** Runs `decodeReply` and returns what it threw. */
function replyError(body: string | Uint8Array): unknown {
  try {
    decodeReply(typeof body === 'string' ? bytes(body) : body, SUBJECT);
  } catch (err) {
    return err;
  }
  assert.fail(`decodeReply(${String(body)}) did not throw`);
}

/** The original library's success encoding. */
const legacySuccess = (value: unknown): string => JSON.stringify({ payload: value });

describe('encodeRequest', () => {
  it('is the JSON text of the message', () => {
    assert.equal(encodeRequest({ a: 2, b: 5 }), '{"a":2,"b":5}');
    assert.equal(encodeRequest('text'), '"text"');
    assert.equal(encodeRequest(0), '0');
    assert.equal(encodeRequest(false), 'false');
    assert.equal(encodeRequest(null), 'null');
    assert.equal(encodeRequest([1, 'x', { y: null }]), '[1,"x",{"y":null}]');
    assert.equal(encodeRequest({ skipped: undefined, kept: 1 }), '{"kept":1}');
    assert.equal(encodeRequest(new Date(Date.UTC(2020, 0, 2))), '"2020-01-02T00:00:00.000Z"');
    assert.equal(encodeRequest({ s: 'Zoë "q" 🚀\n' }), JSON.stringify({ s: 'Zoë "q" 🚀\n' }));
  });

  it('is an empty body for a call without a message', () => {
    assert.equal(encodeRequest(undefined), '');
  });

  it('throws for what JSON cannot encode', () => {
    assert.throws(() => encodeRequest(10n), TypeError);
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    assert.throws(() => encodeRequest(cycle), TypeError);
  });
});

describe('decodeRequest', () => {
  it('reads UTF-8 JSON', () => {
    assert.deepEqual(decodeRequest(bytes('{"a":2,"b":5}')), { a: 2, b: 5 });
    assert.equal(decodeRequest(bytes('"x"')), 'x');
    assert.equal(decodeRequest(bytes('0')), 0);
    assert.equal(decodeRequest(bytes('null')), null);
    assert.deepEqual(decodeRequest(bytes('{"name":"Zoë 🚀","n":[1,2]}')), { name: 'Zoë 🚀', n: [1, 2] });
    assert.deepEqual(decodeRequest(Buffer.from(' {"a":1} \n')), { a: 1 });
  });

  it('gives null for an empty body (a call without a message)', () => {
    assert.equal(decodeRequest(new Uint8Array(0)), null);
    assert.equal(decodeRequest(bytes(encodeRequest(undefined))), null);
  });

  it('round-trips what encodeRequest sends', () => {
    for (const message of [{ a: 2, b: 5 }, 'text', 0, -1.5, true, null, [], {}, { deep: { list: [1, { x: 'y' }] } }]) {
      assert.deepEqual(decodeRequest(bytes(encodeRequest(message))), message);
    }
  });

  it('returns one bad-request symbol for bodies that are not JSON', () => {
    const bad = decodeRequest(bytes('{'));
    assert.equal(typeof bad, 'symbol');
    assert.equal((bad as symbol).description, 'picom.badRequest');
    for (const body of ['{"a":', 'undefined', 'NaN', "{'a':1}", ' ', 'true false']) {
      assert.equal(decodeRequest(bytes(body)), bad, JSON.stringify(body));
    }
  });

  it('rejects invalid UTF-8 instead of replacing it', () => {
    const bad = decodeRequest(bytes('{'));
    assert.equal(decodeRequest(new Uint8Array([0xff])), bad);
    assert.equal(decodeRequest(new Uint8Array([0x22, 0xc3, 0x22])), bad, 'truncated sequence inside a string');
    assert.equal(decodeRequest(new Uint8Array([0x22, 0xc0, 0xaf, 0x22])), bad, 'overlong encoding');
    assert.equal(decodeRequest(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22])), bad, 'lone surrogate');
    // A real U+FFFD is valid UTF-8 and stays.
    assert.equal(decodeRequest(new Uint8Array([0x22, 0xef, 0xbf, 0xbd, 0x22])), '\ufffd');
  });
});

describe('encodeSuccess', () => {
  it('is {"payload":<value>}', () => {
    assert.equal(success({ result: 7 }), '{"payload":{"result":7}}');
    assert.equal(success(null), '{"payload":null}');
    assert.equal(success(0), '{"payload":0}');
    assert.equal(success(false), '{"payload":false}');
    assert.equal(success(''), '{"payload":""}');
    assert.equal(success([1, 'a']), '{"payload":[1,"a"]}');
    assert.equal(success({ b: 1, a: 2 }), '{"payload":{"b":1,"a":2}}');
  });

  it('is {} for undefined (read back as an undefined payload)', () => {
    assert.equal(success(undefined), '{}');
    assert.equal(decodeReply(encodeSuccess(undefined), SUBJECT), undefined);
  });

  it('is byte for byte what the original sends, JSON.stringify({ payload })', () => {
    const samples: unknown[] = [
      undefined, null, 0, -0, 1e21, NaN, Infinity, 'x', 'Zoë "q"\n🚀', true,
      [undefined, () => 1], { u: undefined, f: () => 1, n: null }, new Date(0), () => 1, Symbol('s'),
      { nested: { list: [1, 2, { x: [] }] } },
      // Kilobyte payloads, within a shared slab and beyond it.
      { pad: 'x'.repeat(10_000) }, { pad: 'Zoë 🚀'.repeat(2_000) }, 'y'.repeat(100_000),
    ];
    for (const value of samples) {
      assert.deepEqual(Buffer.from(encodeSuccess(value)), Buffer.from(legacySuccess(value), 'utf8'), String(typeof value));
    }
  });

  it('throws when the value cannot be encoded', () => {
    assert.throws(() => encodeSuccess({ n: 1n }), TypeError);
    const cycle: unknown[] = [];
    cycle.push(cycle);
    assert.throws(() => encodeSuccess(cycle), TypeError);
  });

  it('round-trips through decodeReply', () => {
    for (const value of [{ result: 7 }, null, 0, false, '', [1, [2]], 'Zoë 🚀']) {
      assert.deepEqual(decodeReply(encodeSuccess(value), SUBJECT), value);
    }
  });
});

describe('errorText', () => {
  it('keeps a string as is', () => {
    assert.equal(errorText('Not allowed'), 'Not allowed');
    assert.equal(errorText(''), '');
    assert.equal(errorText('{"looks":"like json"}'), '{"looks":"like json"}');
  });

  it("is an Error's message when it has no own enumerable fields", () => {
    assert.equal(errorText(new Error('boom')), 'boom');
    assert.equal(errorText(new TypeError('bad type')), 'bad type');
    assert.equal(errorText(new Error('')), '');
    assert.equal(errorText(new PicomError('picom says no')), 'picom says no');
  });

  it("appends a space and the Error's JSON when it has own enumerable fields", () => {
    assert.equal(errorText(Object.assign(new Error('boom'), { code: 'E1', status: 400 })), 'boom {"code":"E1","status":400}');

    class ValidationError extends Error {
      field = 'email';
    }
    assert.equal(errorText(new ValidationError('invalid')), 'invalid {"field":"email"}');

    // Exactly the original's formula.
    const err = Object.assign(new RangeError('too big'), { details: { max: 3, got: [4] } });
    assert.equal(errorText(err), `${err.message} ${JSON.stringify(err)}`);
  });

  it('falls back to the message when the fields cannot be encoded', () => {
    const err = new Error('cyclic') as Error & { self?: unknown };
    err.self = err;
    assert.equal(errorText(err), 'cyclic');
    assert.equal(errorText(Object.assign(new Error('big'), { n: 1n })), 'big');
  });

  it('is the JSON of anything else', () => {
    assert.equal(errorText({ reason: 'x' }), '{"reason":"x"}');
    assert.equal(errorText(42), '42');
    assert.equal(errorText(null), 'null');
    assert.equal(errorText(true), 'true');
    assert.equal(errorText(['a', 1]), '["a",1]');
    // JSON has no text for these; the text is still a string.
    assert.equal(errorText(undefined), 'undefined');
    assert.equal(errorText(10n), '10');
  });
});

describe('encodeFailure', () => {
  it('is {"error":"<text>"}', () => {
    assert.equal(encodeFailure('boom'), '{"error":"boom"}');
    assert.equal(encodeFailure(''), '{"error":""}');
    assert.equal(encodeFailure('say "hi"\n🚀'), JSON.stringify({ error: 'say "hi"\n🚀' }));
  });

  it('puts extra fields after error, never overriding error or payload', () => {
    assert.equal(encodeFailure('boom', { code: 'E_X', details: { n: 1 } }), '{"error":"boom","code":"E_X","details":{"n":1}}');
    assert.equal(encodeFailure('boom', { error: 'other', payload: 1, code: 2 }), '{"error":"boom","code":2}');
    assert.equal(encodeFailure('boom', {}), '{"error":"boom"}');
  });

  it('drops fields that cannot be encoded rather than failing the reply', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    assert.equal(encodeFailure('boom', { cycle }), '{"error":"boom"}');
    assert.equal(encodeFailure('boom', { big: 1n }), '{"error":"boom"}');
  });
});

describe('encodeError', () => {
  it('encodes a rejection the way the original does', () => {
    assert.equal(encodeError('Not allowed').body, '{"error":"Not allowed"}');
    assert.equal(encodeError(new Error('boom')).body, '{"error":"boom"}');
    assert.equal(encodeError(Object.assign(new Error('boom'), { code: 'E1' })).body, '{"error":"boom {\\"code\\":\\"E1\\"}"}');
    assert.equal(encodeError({ reason: 'x' }).body, '{"error":"{\\"reason\\":\\"x\\"}"}');
    assert.equal(encodeError(42).body, '{"error":"42"}');
    assert.equal(encodeError(null).body, '{"error":"null"}');
  });

  it('hands back the text it put in the envelope, so that nobody parses it back', () => {
    const values: unknown[] = ['Not allowed', new Error('boom'), { reason: 'x' }, new PicomReplyError('bad', { code: 'E' }), new PicomTimeoutError('s.m', 5)];
    for (const value of values) {
      const { text, body } = encodeError(value);
      assert.equal((JSON.parse(body) as { error: unknown }).error, text, String(value));
    }
    assert.equal(encodeError(new PicomReplyError('bad', { code: 'E' })).text, 'bad');
  });

  it('always sends a string error', () => {
    for (const value of ['', 'x', new Error('e'), { a: 1 }, [1], 0, false, null, undefined, 5n, Symbol('s')]) {
      const envelope = JSON.parse(encodeError(value).body) as Record<string, unknown>;
      assert.equal(typeof envelope['error'], 'string', String(value));
      assert.equal('payload' in envelope, false);
    }
  });

  it("sends a Picom error's message without its local fields", () => {
    const err = new PicomTimeoutError('service2.slow', 100);
    assert.deepEqual(Object.keys(err).sort(), ['subject', 'timeout']);
    assert.equal(encodeError(err).body, '{"error":"Request service2.slow timed out"}');
  });

  it('forwards a remote error with its text and envelope fields intact', () => {
    const upstream = '{"error":"db down","code":"E_DB","details":{"retryIn":5}}';
    const err = replyError(upstream);
    assert.ok(err instanceof PicomRemoteError);
    assert.equal(encodeError(err).body, upstream);
  });

  it('answers a PicomReplyError with its fields beside the text', () => {
    const err = new PicomReplyError('b must be a number', { code: 'INVALID_ARGUMENT', error: 'ignored', payload: 1 });
    assert.ok(err instanceof PicomError);
    assert.equal(err.fields['code'], 'INVALID_ARGUMENT');
    assert.equal(encodeError(err).body, '{"error":"b must be a number","code":"INVALID_ARGUMENT"}');
    const back = replyError(encodeError(err).body);
    assert.ok(back instanceof PicomRemoteError);
    assert.equal(back.message, 'b must be a number');
    assert.equal((back as PicomRemoteError & { code?: string }).code, 'INVALID_ARGUMENT');
  });
});

describe('decodeReply', () => {
  it('resolves with the payload', () => {
    assert.deepEqual(decodeReply(bytes('{"payload":{"result":7}}'), SUBJECT), { result: 7 });
    assert.equal(decodeReply(bytes('{"payload":null}'), SUBJECT), null);
    assert.equal(decodeReply(bytes('{"payload":0}'), SUBJECT), 0);
    assert.equal(decodeReply(bytes('{"payload":false}'), SUBJECT), false);
    assert.equal(decodeReply(bytes('{"payload":"Zoë 🚀"}'), SUBJECT), 'Zoë 🚀');
    assert.equal(decodeReply(bytes('{}'), SUBJECT), undefined);
    assert.equal(decodeReply(bytes(' { "payload" : 1 } '), SUBJECT), 1);
  });

  it('ignores extra fields on a success', () => {
    assert.equal(decodeReply(bytes('{"payload":1,"code":"x","meta":{}}'), SUBJECT), 1);
  });

  it('throws PicomRemoteError with the error text', () => {
    const err = replyError('{"error":"Method not found \\"sub\\""}');
    assert.ok(err instanceof PicomRemoteError);
    assert.ok(err instanceof PicomError);
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'Method not found "sub"');
    assert.equal(err.name, 'PicomRemoteError');
    assert.equal(err.subject, SUBJECT);
    // Nothing but remote fields is enumerable, so the error forwards cleanly.
    assert.deepEqual(Object.keys(err), []);
    assert.deepEqual(err.fields, {});
  });

  it('lets a truthy error win over a payload', () => {
    const err = replyError('{"error":"boom","payload":5}');
    assert.ok(err instanceof PicomRemoteError);
    assert.equal(err.message, 'boom');
  });

  it('treats a falsy error as no error, as old callers do', () => {
    assert.equal(decodeReply(bytes('{"error":"","payload":5}'), SUBJECT), 5);
    assert.equal(decodeReply(bytes('{"error":null,"payload":5}'), SUBJECT), 5);
    assert.equal(decodeReply(bytes('{"error":0}'), SUBJECT), undefined);
    assert.deepEqual(decodeReply(bytes('{"error":false,"payload":[]}'), SUBJECT), []);
  });

  it('reports a truthy error that is not a string as a bad response, with the value as received', () => {
    const cases: [unknown, string][] = [
      [{ toString: 1 }, 'an object'],
      [{ nested: true }, 'an object'],
      [{ a: 1 }, 'an object'],
      [42, 'a number'],
      [true, 'a boolean'],
      [['x', 'y'], 'an array'],
    ];
    for (const [value, kind] of cases) {
      const body = JSON.stringify({ error: value, code: 'E_X', payload: 1 });
      const err = replyError(body);
      assert.ok(err instanceof PicomBadResponseError, `${body}: ${String(err)}`);
      assert.ok(err instanceof PicomError);
      assert.equal(err.name, 'PicomBadResponseError');
      assert.equal(err.subject, SUBJECT);
      assert.deepEqual(err.raw, value, 'the raw value is attached as it came');
      assert.equal(err.message, `Bad response from ${SUBJECT}: its "error" field is ${kind}, not a string (the value is on this error's "raw" property)`);
      assert.doesNotMatch(String(err), /\[object Object\]/);
    }
  });

  it('attaches no raw value to a reply that is not JSON', () => {
    const err = replyError('nope');
    assert.ok(err instanceof PicomBadResponseError);
    assert.equal('raw' in err, false);
  });

  it('never prints a hostile error value: a huge one stays out of the message', () => {
    const huge = { text: 'x'.repeat(100_000) };
    const err = replyError(JSON.stringify({ error: huge }));
    assert.ok(err instanceof PicomBadResponseError);
    assert.ok(err.message.length < 200, `${err.message.length} characters`);
    assert.deepEqual(err.raw, huge);
  });

  it('copies extra envelope fields onto the error as own properties', () => {
    const err = replyError('{"error":"nope","code":"E_NOPE","details":{"id":3},"retryable":true,"count":0}');
    assert.ok(err instanceof PicomRemoteError);
    const fields = err as PicomRemoteError & Record<string, unknown>;
    assert.equal(fields['code'], 'E_NOPE');
    assert.deepEqual(fields['details'], { id: 3 });
    assert.equal(fields['retryable'], true);
    assert.equal(fields['count'], 0);
    assert.ok(Object.hasOwn(err, 'code'));
    assert.deepEqual(Object.keys(err), ['code', 'details', 'retryable', 'count']);
    assert.deepEqual(err.fields, { code: 'E_NOPE', details: { id: 3 }, retryable: true, count: 0 });
    assert.equal(err.message, 'nope');
  });

  it('never lets envelope fields replace name, message, stack or cause', () => {
    const err = replyError('{"error":"real","message":"fake","name":"Fake","stack":"fake stack","cause":"fake cause","code":1}');
    assert.ok(err instanceof PicomRemoteError);
    assert.equal(err.message, 'real');
    assert.equal(err.name, 'PicomRemoteError');
    assert.notEqual(err.stack, 'fake stack');
    assert.equal(Object.hasOwn(err, 'cause'), false);
    assert.deepEqual(err.fields, { code: 1 });
  });

  it('does not let a __proto__ field touch prototypes', () => {
    const err = replyError('{"error":"x","__proto__":{"polluted":true}}');
    assert.ok(err instanceof PicomRemoteError);
    assert.equal((err as unknown as Record<string, unknown>)['polluted'], undefined);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it(
    'keeps the call subject when the envelope has a "subject" field',
    () => {
      const err = replyError('{"error":"x","subject":"elsewhere.method"}');
      assert.ok(err instanceof PicomRemoteError, `got ${String(err)}`);
      assert.equal(err.subject, SUBJECT);
    },
  );

  it(
    'keeps the error printable when the envelope has a "toString" field',
    () => {
      const err = replyError('{"error":"x","toString":"hijack"}');
      assert.ok(err instanceof PicomRemoteError);
      assert.equal(String(err), 'PicomRemoteError: x');
    },
  );

  it('fails with "Bad JSON response" for a body that is not JSON', () => {
    for (const body of ['{', 'not json', '{"payload":}', "{'payload':1}", ' ']) {
      const err = replyError(body);
      assert.ok(err instanceof PicomBadResponseError, body);
      assert.ok(err instanceof PicomError);
      assert.equal(err.message, 'Bad JSON response');
      assert.equal(err.name, 'PicomBadResponseError');
      assert.equal(err.subject, SUBJECT);
      assert.ok(err.cause instanceof SyntaxError);
    }
  });

  it('fails with "Bad JSON response" for an empty body', () => {
    const err = replyError(new Uint8Array(0));
    assert.ok(err instanceof PicomBadResponseError);
    assert.equal(err.message, 'Bad JSON response');
  });

  it('fails with "Bad JSON response" for invalid UTF-8', () => {
    for (const body of [new Uint8Array([0xff]), new Uint8Array([0x7b, 0x7d, 0x80]), bytes('{"payload":"\u00e9"}').subarray(0, 13)]) {
      const err = replyError(body);
      assert.ok(err instanceof PicomBadResponseError);
      assert.equal(err.message, 'Bad JSON response');
      assert.ok(err.cause instanceof TypeError, 'the decoder error is the cause');
    }
  });

  it('fails with "Bad JSON response" for JSON that is not an envelope object', () => {
    for (const body of ['"text"', '42', 'null', 'true', '[]', '[{"payload":1}]', '[{"error":"x"}]']) {
      const err = replyError(body);
      assert.ok(err instanceof PicomBadResponseError, body);
      assert.equal(err.message, 'Bad JSON response');
      assert.equal(err.subject, SUBJECT);
    }
  });
});
