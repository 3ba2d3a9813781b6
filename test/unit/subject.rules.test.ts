import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidSubject, isValidToken, MAX_METHOD_NAME_BYTES, MAX_SUBJECT_BYTES } from 'picom';
import { bytesOver, isValidSubjectPrefix, methodRefusal, subjectRefusal } from '../../lib/protocol/subject.rules.js';

const NOT_STRINGS: unknown[] = [undefined, null, 0, 1, true, {}, ['a.b'], new String('a.b'), Symbol('a.b'), () => 'a.b'];

describe('isValidSubject', () => {
  it('accepts <service>.<method>', () => {
    for (const subject of ['service1.add', 'a.b', 'svc-1.get_user', 'Svc.Method', 'сервис.метод', 'a1.2b', 'svc:v2.call']) {
      assert.equal(isValidSubject(subject), true, subject);
    }
  });

  it('rejects anything that is not exactly two tokens', () => {
    for (const subject of ['', 'service1', '.', '..', 'a.', '.b', 'a..b', 'a.b.c', 'a.b.', '.a.b']) {
      assert.equal(isValidSubject(subject), false, JSON.stringify(subject));
    }
  });

  it('rejects wildcards', () => {
    for (const subject of ['a.*', '*.b', '*.*', 'a.>', '>', 'a.b*', 'a*.b', 'a.>b', '>.b']) {
      assert.equal(isValidSubject(subject), false, subject);
    }
  });

  it('rejects whitespace anywhere', () => {
    for (const subject of ['a .b', 'a. b', ' a.b', 'a.b ', 'a\t.b', 'a.b\n', 'a\r.b', 'a.b\u00a0', 'my service.add']) {
      assert.equal(isValidSubject(subject), false, JSON.stringify(subject));
    }
  });

  it('rejects non-strings', () => {
    for (const value of NOT_STRINGS) {
      assert.equal(isValidSubject(value), false, typeof value);
    }
  });

  it('narrows the type to string', () => {
    const value: unknown = 'service1.add';
    if (!isValidSubject(value)) assert.fail('expected a valid subject');
    const subject: string = value;
    assert.equal(subject.split('.').length, 2);
  });
});

describe('isValidToken', () => {
  it('accepts one token', () => {
    for (const token of ['add', 'service1', 'get-user', '_private', '1', 'A', 'метод', '$SYS', 'v2:call']) {
      assert.equal(isValidToken(token), true, token);
    }
  });

  it('rejects empty, dotted, wildcard and whitespace tokens', () => {
    for (const token of ['', '.', 'a.b', 'a.', '*', '>', 'a*', 'a>', 'a b', ' ', ' a', 'a\n', '\t']) {
      assert.equal(isValidToken(token), false, JSON.stringify(token));
    }
  });

  it('rejects non-strings', () => {
    for (const value of NOT_STRINGS) {
      assert.equal(isValidToken(value), false, typeof value);
    }
  });

  it('agrees with isValidSubject: a subject is two valid tokens joined by "."', () => {
    const candidates = ['add', 'svc', '', '*', '>', 'a b', 'a.b', 'x-y', ' '];
    for (const service of candidates) {
      for (const method of candidates) {
        assert.equal(
          isValidSubject(`${service}.${method}`),
          isValidToken(service) && isValidToken(method),
          JSON.stringify(`${service}.${method}`),
        );
      }
    }
  });
});

/** UTF-8 widths: 1, 2 and 3 bytes in one UTF-16 unit, 4 bytes in two. */
const WIDE = { one: 'a', two: 'é', three: '€', four: '𝄞' } as const;

describe('subject and name lengths, in UTF-8 bytes', () => {
  it('are 1024 bytes for a subject and 256 for a method name', () => {
    assert.equal(MAX_SUBJECT_BYTES, 1024);
    assert.equal(MAX_METHOD_NAME_BYTES, 256);
  });

  it('isValidSubject accepts a subject of exactly 1024 bytes and refuses 1025, whatever the characters', () => {
    for (const [width, char] of Object.entries(WIDE)) {
      const bytesPerChar = Buffer.byteLength(char);
      const count = Math.floor((MAX_SUBJECT_BYTES - 2) / bytesPerChar);
      // Pad with ASCII to land on exactly the limit.
      const fits = `s.${char.repeat(count)}${'x'.repeat(MAX_SUBJECT_BYTES - 2 - count * bytesPerChar)}`;
      assert.equal(Buffer.byteLength(fits), MAX_SUBJECT_BYTES, width);
      assert.equal(isValidSubject(fits), true, `${width}: ${fits.length} units, ${MAX_SUBJECT_BYTES} bytes`);
      assert.equal(isValidSubject(`${fits}x`), false, `${width}: one byte over`);
    }
  });

  it('counts bytes, not UTF-16 units: 342 three-byte characters are over the limit', () => {
    const subject = `s.${WIDE.three.repeat(341)}`;
    assert.ok(subject.length < MAX_SUBJECT_BYTES);
    assert.equal(Buffer.byteLength(subject), 1025);
    assert.equal(isValidSubject(subject), false);
    assert.equal(isValidSubject(`s.${WIDE.three.repeat(340)}`), true);
  });

  it('bytesOver gives the UTF-8 size when it is over the limit, undefined otherwise', () => {
    const samples = ['', 'a', 'é', '€', '𝄞', 'ab€𝄞é', '\u0000', '\ud800'];
    for (const sample of samples) {
      for (const times of [1, 10, 85, 86, 100, 400]) {
        const text = sample.repeat(times);
        const bytes = Buffer.byteLength(text, 'utf8');
        for (const limit of [0, 1, 255, 256, 257, 1024]) {
          assert.equal(bytesOver(text, limit), bytes > limit ? bytes : undefined, `${JSON.stringify(sample)} x${times}, limit ${limit}`);
        }
      }
    }
  });

  it('subjectRefusal names the limit when only the length is wrong, and quotes no more than the start', () => {
    const long = `svc.${'m'.repeat(5_000)}`;
    const text = subjectRefusal(long);
    assert.match(text, /^Picom subject "svc\.m+"… is 5004 bytes, over the 1024-byte limit on a subject/);
    assert.ok(text.length < 400, `${text.length} chars`);
    assert.match(subjectRefusal('a b'), /^Invalid Picom subject "a b": expected "<service>\.<method>"/);
    assert.match(subjectRefusal(`a b.${'m'.repeat(5_000)}`), /^Invalid Picom subject "a b\.m+"…: expected/, 'malformed first');
  });

  it('methodRefusal takes a token of up to 256 bytes', () => {
    assert.equal(methodRefusal('add'), undefined);
    assert.equal(methodRefusal(WIDE.two.repeat(128)), undefined);
    assert.equal(methodRefusal('m'.repeat(256)), undefined);
    assert.match(methodRefusal(`${WIDE.two.repeat(128)}x`) ?? '', /: 257 bytes, over the 256-byte limit on a method name/);
    assert.match(methodRefusal('m'.repeat(5_000)) ?? '', /^Invalid Picom pattern "m+"…: 5000 bytes/);
    for (const bad of ['', 'a.b', '*', 'a b']) {
      assert.match(methodRefusal(bad) ?? '', /must be one method name/, JSON.stringify(bad));
    }
  });
});

describe('isValidSubjectPrefix', () => {
  it('accepts one or more tokens joined by dots', () => {
    for (const prefix of ['_INBOX', '_INBOX.alice', 'a.b.c', '_I', 'inbox-1.user_2', 'сервис.ящик']) {
      assert.equal(isValidSubjectPrefix(prefix), true, prefix);
    }
  });

  it('refuses empty tokens, wildcards, whitespace and non-strings', () => {
    for (const prefix of ['', '.', 'a.', '.a', 'a..b', 'a b', 'a\tb', 'a\n', '*', '>', 'a.*', 'a.>', '_INBOX.*.x', 'a*', ...NOT_STRINGS]) {
      assert.equal(isValidSubjectPrefix(prefix), false, String(JSON.stringify(prefix)));
    }
  });
});
