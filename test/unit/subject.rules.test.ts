import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidSubject, isValidToken } from 'picom';

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
