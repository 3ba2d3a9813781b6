import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors, headers as natsHeaders } from '@nats-io/transport-node';
import { encodeHeaders } from '../../lib/requester/headers.encoder.js';
import { PicomError, PicomHeaderError } from '../../lib/errors/index.js';

/**
 * Caller headers are checked and measured before a call is pending: what
 * nats.js would refuse inside `publish()` becomes a `PicomHeaderError`, and
 * the size counted against max_payload is the size nats.js sends.
 */

const SUBJECT = 'service1.add';

/** Runs `encodeHeaders` and returns what it threw. */
function headerError(values: unknown): PicomHeaderError {
  try {
    encodeHeaders(values as Record<string, string>, SUBJECT);
  } catch (err) {
    assert.ok(err instanceof PicomHeaderError, String(err));
    assert.ok(err instanceof PicomError);
    assert.equal(err.subject, SUBJECT);
    return err;
  }
  assert.fail(`encodeHeaders(${JSON.stringify(values)}) did not throw`);
}

describe('encodeHeaders', () => {
  it('counts exactly the bytes nats.js sends', () => {
    const cases: Record<string, string | string[]>[] = [
      { a: '1' },
      { 'X-Trace-Id': 'abc', 'Content-Type': 'application/json' },
      { multi: ['one', 'two', 'three'] },
      { padded: '  spaced value  ' },
      { utf8: 'Zoë 🚀 ü', 'x-empty': '' },
      { 'x-many': Array.from({ length: 40 }, (_, i) => `v${i}`) },
    ];
    for (const values of cases) {
      const { headers, bytes } = encodeHeaders(values, SUBJECT);
      assert.ok(headers, JSON.stringify(values));
      // What nats.js' publish() measures: the UTF-8 bytes of the header block.
      assert.equal(bytes, Buffer.byteLength(headers.toString()), JSON.stringify(values));
      for (const key of Object.keys(values)) {
        const expected = ([] as string[]).concat(values[key]!).map((v) => v.trim());
        assert.deepEqual(headers.values(key), expected);
      }
    }
  });

  it('sends no header block for an empty record or empty value lists', () => {
    assert.deepEqual(encodeHeaders({}, SUBJECT), { headers: undefined, bytes: 0 });
    assert.deepEqual(encodeHeaders({ none: [] }, SUBJECT), { headers: undefined, bytes: 0 });
  });

  it('refuses a name nats.js refuses, naming it, with nats.js\' error as the cause', () => {
    for (const key of ['has space', 'colon:name', 'tab\tname', 'new\nline', 'Zoë']) {
      const err = headerError({ ok: 'fine', [key]: 'v' });
      assert.equal(err.header, key);
      assert.ok(err.message.includes(JSON.stringify(key)), err.message);
      assert.ok(err.cause instanceof errors.InvalidArgumentError, String(err.cause));
    }
  });

  it('refuses a value with CR or LF, naming the header but not echoing the value', () => {
    const secret = 'injected\r\nX-Admin: true';
    for (const values of [{ 'x-bad': secret }, { 'x-bad': ['fine', secret] }, { 'x-bad': '\n' }]) {
      const err = headerError(values);
      assert.equal(err.header, 'x-bad');
      assert.match(err.message, /Invalid header "x-bad" for service1\.add/);
      assert.ok(!err.message.includes('X-Admin'), err.message);
      assert.ok(err.cause instanceof errors.InvalidArgumentError);
    }
  });

  it('refuses values that are not strings (nats.js throws a TypeError for them)', () => {
    for (const [value, kind] of [[5, 'a number'], [null, 'null'], [{ a: 1 }, 'an object'], [[1], 'a number'], [undefined, 'undefined']] as const) {
      const err = headerError({ 'x-n': value });
      assert.equal(err.header, 'x-n');
      assert.match(err.message, new RegExp(`its value is ${kind}, expected a string or an array of strings`));
    }
  });

  it('refuses an empty name and headers that are not an object', () => {
    assert.match(headerError({ '': 'v' }).message, /a header name cannot be empty/);
    for (const values of ['a: b', 5, ['a'], null]) {
      const err = headerError(values);
      assert.equal(err.header, undefined);
      assert.match(err.message, /^Invalid headers of type \w+ for service1\.add|^Invalid headers null for/);
    }
  });

  it('quotes a long name shortened, never whole', () => {
    const key = `bad key ${'k'.repeat(10_000)}`;
    const err = headerError({ [key]: 'v' });
    assert.equal(err.header, key);
    assert.ok(err.message.length < 400, `${err.message.length} characters`);
  });

  it('keeps nats.js\' own encoding of what it accepts', () => {
    const { headers } = encodeHeaders({ 'X-A': ['1', '2'], b: 'x' }, SUBJECT);
    const expected = natsHeaders();
    expected.append('X-A', '1');
    expected.append('X-A', '2');
    expected.append('b', 'x');
    assert.equal(headers?.toString(), expected.toString());
  });
});
