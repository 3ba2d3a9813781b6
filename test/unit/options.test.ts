import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_GRACE_PERIOD, DEFAULT_RETRIES, DEFAULT_SERVERS, DEFAULT_TIMEOUT, DEFAULT_TTL } from '../../lib/constants.js';
import { PicomError, PicomOptionsError } from '../../lib/errors/index.js';
import type { PicomLogger } from '../../lib/interfaces/picom-logger.interface.js';
import type { PicomOptions } from '../../lib/interfaces/picom-options.interface.js';
import { parseServer, resolvePicomOptions, validateServiceName } from '../../lib/options/picom-options.resolver.js';

/** Options as a user without type checking could pass them. */
const loose = (options: Record<string, unknown>): PicomOptions => options as PicomOptions;

/** Asserts `fn` throws a PicomOptionsError whose message matches `pattern`; returns the message. */
function optionsError(fn: () => unknown, pattern?: RegExp): string {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof PicomOptionsError, `expected PicomOptionsError, got ${String(thrown)}`);
  assert.ok(thrown instanceof PicomError);
  assert.equal(thrown.name, 'PicomOptionsError');
  if (pattern) assert.match(thrown.message, pattern);
  return thrown.message;
}

describe('resolvePicomOptions defaults', () => {
  it('match the seed README', () => {
    assert.deepEqual(DEFAULT_SERVERS, ['127.0.0.1:4222']);
    assert.equal(DEFAULT_TIMEOUT, 30_000);
    assert.equal(DEFAULT_RETRIES, 3);
    assert.equal(DEFAULT_TTL, 30);
  });

  it('apply when nothing is given', () => {
    for (const resolved of [resolvePicomOptions(), resolvePicomOptions({})]) {
      assert.deepEqual(resolved.servers, ['nats://127.0.0.1:4222']);
      assert.equal(resolved.timeout, 30_000);
      assert.equal(resolved.retries, 3);
      assert.equal(resolved.ttl, 30);
      assert.equal(resolved.gracePeriod, DEFAULT_GRACE_PERIOD);
      assert.equal(resolved.maxConcurrency, Infinity);
      assert.equal(resolved.maxQueued, 10_000);
      assert.deepEqual(resolved.connection, {
        servers: ['nats://127.0.0.1:4222'],
        name: 'picom',
        maxReconnectAttempts: 3,
        pingInterval: 10_000,
        maxPingOut: 2,
        noAsyncTraces: true,
      });
    }
  });

  it('use a silent logger', () => {
    const { logger } = resolvePicomOptions();
    for (const level of ['error', 'warn', 'log'] as const) {
      assert.equal(typeof logger[level], 'function');
      assert.equal(logger[level]('message'), undefined);
    }
  });

  it('do not leak into the next call (DEFAULT_SERVERS is copied)', () => {
    const first = resolvePicomOptions();
    (first.servers as string[]).push('nats://mutated:1');
    assert.deepEqual(resolvePicomOptions().servers, ['nats://127.0.0.1:4222']);
    assert.deepEqual(DEFAULT_SERVERS, ['127.0.0.1:4222']);
  });
});

describe('resolvePicomOptions servers', () => {
  const servers = (value: unknown): string[] => resolvePicomOptions(loose({ servers: value })).servers;

  it('makes nats:// optional', () => {
    assert.deepEqual(servers('10.0.0.1:4222'), ['nats://10.0.0.1:4222']);
    assert.deepEqual(servers('nats://10.0.0.1:4222'), ['nats://10.0.0.1:4222']);
    assert.deepEqual(servers('localhost'), ['nats://localhost']);
    assert.deepEqual(servers('[::1]:4222'), ['nats://[::1]:4222']);
    assert.deepEqual(servers('tls://secure.example:4443'), ['tls://secure.example:4443']);
  });

  it('takes a string, a comma-separated string or an array', () => {
    assert.deepEqual(servers('a:1'), ['nats://a:1']);
    assert.deepEqual(servers('a:1, nats://b:2,c:3'), ['nats://a:1', 'nats://b:2', 'nats://c:3']);
    assert.deepEqual(servers(['a:1', 'nats://b:2']), ['nats://a:1', 'nats://b:2']);
  });

  it('hands the same list to nats.js', () => {
    const resolved = resolvePicomOptions({ servers: ['a:1', 'b:2'] });
    assert.deepEqual(resolved.connection.servers, resolved.servers);
  });

  it('rejects empty or mistyped lists', () => {
    for (const value of ['', [], [''], ['a:1', ''], [1], ['a:1', null], {}, 42, true, null, ' , ']) {
      optionsError(() => servers(value), /"servers"/);
    }
  });

  it('rejects unparsable addresses', () => {
    optionsError(() => servers('nats://'), /names no host/);
    optionsError(() => servers('bad host:4222'), /Invalid server address/);
    optionsError(() => servers('nats://[::1'), /Invalid server address/);
  });
});

describe('resolvePicomOptions credentials in server URLs', () => {
  it('extracts user and password and strips them from the server list', () => {
    const resolved = resolvePicomOptions({ servers: 'nats://alice:s3cr3t@h1:4222' });
    assert.deepEqual(resolved.servers, ['nats://h1:4222']);
    assert.deepEqual(resolved.connection.servers, ['nats://h1:4222']);
    assert.equal(resolved.connection.user, 'alice');
    assert.equal(resolved.connection.pass, 's3cr3t');
    assert.equal(resolved.connection.token, undefined);
  });

  it('extracts a token and strips it from the server list', () => {
    const resolved = resolvePicomOptions({ servers: ['nats://tok3n@h1:4222'] });
    assert.deepEqual(resolved.servers, ['nats://h1:4222']);
    assert.equal(resolved.connection.token, 'tok3n');
    assert.equal(resolved.connection.user, undefined);
    assert.equal(resolved.connection.pass, undefined);
  });

  it('works without the nats:// scheme', () => {
    const resolved = resolvePicomOptions({ servers: 'alice:s3cr3t@h1:4222' });
    assert.deepEqual(resolved.servers, ['nats://h1:4222']);
    assert.equal(resolved.connection.user, 'alice');
    assert.equal(resolved.connection.pass, 's3cr3t');
  });

  it('percent-decodes credentials', () => {
    const resolved = resolvePicomOptions({ servers: 'nats://al%40ice:p%3As%2Fs@h1:4222' });
    assert.equal(resolved.connection.user, 'al@ice');
    assert.equal(resolved.connection.pass, 'p:s/s');
  });

  it('strips credentials from every server in a list', () => {
    const resolved = resolvePicomOptions({ servers: ['h0:4222', 'nats://alice:s3cr3t@h1:4222', 'nats://alice:s3cr3t@h2:4222'] });
    assert.deepEqual(resolved.servers, ['nats://h0:4222', 'nats://h1:4222', 'nats://h2:4222']);
    assert.equal(resolved.connection.user, 'alice');
    assert.doesNotMatch(JSON.stringify(resolved.servers), /s3cr3t|alice/);
  });

  it('lets explicit options win over URL credentials', () => {
    const resolved = resolvePicomOptions({ servers: 'nats://alice:s3cr3t@h1:4222', user: 'bob', pass: 'pw' });
    assert.equal(resolved.connection.user, 'bob');
    assert.equal(resolved.connection.pass, 'pw');
    assert.equal(resolvePicomOptions({ servers: 'nats://tok3n@h1:4222', token: 'explicit' }).connection.token, 'explicit');
  });

  it('passes explicit credentials without URL ones', () => {
    const resolved = resolvePicomOptions({ token: 't', user: 'u', pass: 'p' });
    assert.equal(resolved.connection.token, 't');
    assert.equal(resolved.connection.user, 'u');
    assert.equal(resolved.connection.pass, 'p');
  });

  it('never puts credentials in error messages', () => {
    const cases: [unknown, RegExp][] = [
      ['nats://alice:s3cr3t@[::1', /s3cr3t|alice/],
      ['nats://alice:s3cr3t@bad host:4222', /s3cr3t|alice/],
      ['nats://alice:s3cr3t@', /s3cr3t|alice/],
      [['nats://tok3n@good:4222', 'nats://bob:hunter2@bad host:1'], /hunter2|tok3n|bob/],
    ];
    for (const [value, secret] of cases) {
      assert.doesNotMatch(optionsError(() => resolvePicomOptions(loose({ servers: value }))), secret);
    }
    assert.doesNotMatch(optionsError(() => parseServer('nats://alice:s3cr3t@[::1')), /s3cr3t|alice/);
    assert.doesNotMatch(optionsError(() => resolvePicomOptions(loose({ pass: 12345678 })), /"pass"/), /12345678/);
    assert.doesNotMatch(optionsError(() => resolvePicomOptions(loose({ token: 987654321 })), /"token"/), /987654321/);
  });

  it(
    'reports a literal "%" in a URL password as an options error',
    () => {
      const message = optionsError(() => resolvePicomOptions({ servers: 'nats://alice:50%off@h1:4222' }));
      assert.doesNotMatch(message, /50%off/);
    },
  );
});

describe('parseServer', () => {
  it('splits an address into server and credentials', () => {
    assert.deepEqual(parseServer('h1:4222'), { server: 'nats://h1:4222' });
    assert.deepEqual(parseServer('nats://h1:4222'), { server: 'nats://h1:4222' });
    assert.deepEqual(parseServer('nats://alice:s3cr3t@h1:4222'), { server: 'nats://h1:4222', user: 'alice', pass: 's3cr3t' });
    assert.deepEqual(parseServer('nats://tok3n@h1:4222'), { server: 'nats://h1:4222', token: 'tok3n' });
    assert.deepEqual(parseServer('tls://tok3n@h1:4443'), { server: 'tls://h1:4443', token: 'tok3n' });
  });

  it('rejects addresses without a host', () => {
    optionsError(() => parseServer(''), /names no host/);
    optionsError(() => parseServer('nats://'), /names no host/);
  });
});

describe('resolvePicomOptions validation', () => {
  it('rejects options that are not an object', () => {
    for (const value of [null, 'servers', 42, true]) {
      optionsError(() => resolvePicomOptions(value as unknown as PicomOptions), /Invalid options .*expected an object/);
    }
  });

  it('takes positive timeouts', () => {
    assert.equal(resolvePicomOptions({ timeout: 1 }).timeout, 1);
    assert.equal(resolvePicomOptions({ timeout: 250.5 }).timeout, 250.5);
    for (const timeout of [0, -1, -0.5, NaN, Infinity, -Infinity, '100', null, [100], {}]) {
      optionsError(() => resolvePicomOptions(loose({ timeout })), /Invalid option "timeout" .*expected a positive number/);
    }
  });

  it('names the bad value in the message', () => {
    optionsError(() => resolvePicomOptions({ timeout: -5 }), /"timeout" -5/);
    optionsError(() => resolvePicomOptions(loose({ timeout: '100' })), /"timeout" "100"/);
    optionsError(() => resolvePicomOptions(loose({ timeout: [1] })), /"timeout" of type array/);
  });

  it('takes integer retries from -1 (for ever) up', () => {
    for (const retries of [-1, 0, 1, 10]) {
      const resolved = resolvePicomOptions({ retries });
      assert.equal(resolved.retries, retries);
      assert.equal(resolved.connection.maxReconnectAttempts, retries);
    }
    for (const retries of [1.5, -2, NaN, Infinity, '3', null]) {
      optionsError(() => resolvePicomOptions(loose({ retries })), /Invalid option "retries" .*expected an integer >= -1/);
    }
  });

  it('validates the serve options', () => {
    assert.equal(resolvePicomOptions({ gracePeriod: 0 }).gracePeriod, 0);
    assert.equal(resolvePicomOptions({ maxConcurrency: 1 }).maxConcurrency, 1);
    assert.equal(resolvePicomOptions({ maxQueued: 0 }).maxQueued, 0);
    optionsError(() => resolvePicomOptions({ gracePeriod: -1 }), /"gracePeriod"/);
    optionsError(() => resolvePicomOptions({ gracePeriod: 1.5 }), /"gracePeriod"/);
    optionsError(() => resolvePicomOptions({ maxConcurrency: 0 }), /"maxConcurrency" .*>= 1/);
    optionsError(() => resolvePicomOptions({ maxQueued: -1 }), /"maxQueued"/);
  });

  it('takes string credentials, names and inbox prefixes only', () => {
    for (const key of ['token', 'user', 'pass', 'inboxPrefix', 'name']) {
      optionsError(() => resolvePicomOptions(loose({ [key]: 1 })), new RegExp(`Invalid option "${key}": expected a string`));
    }
  });

  it('takes a logger with error(), warn() and log()', () => {
    const logger: PicomLogger = { error: () => undefined, warn: () => undefined, log: () => undefined };
    assert.equal(resolvePicomOptions({ logger }).logger, logger);
    assert.equal(resolvePicomOptions({ logger: console }).logger, console);
    for (const bad of [null, {}, { error() {}, warn() {} }, 'console', { error: 1, warn() {}, log() {} }]) {
      optionsError(() => resolvePicomOptions(loose({ logger: bad })), /"logger"/);
    }
  });

  it('accepts port with a one-time warning, and rejects a non-number port', async () => {
    optionsError(() => resolvePicomOptions(loose({ port: '4222' })), /"port"/);
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      resolvePicomOptions({ port: 3000 });
      resolvePicomOptions({ port: 3001 });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    const picomWarnings = warnings.filter((w) => (w as Error & { code?: string }).code === 'PICOM_PORT_IGNORED');
    assert.equal(picomWarnings.length, 1);
    assert.match(picomWarnings[0]!.message, /"port" option .*ignored/);
  });
});

describe('resolvePicomOptions connection settings', () => {
  it('maps ttl to pings so that a dead connection shows within ttl', () => {
    assert.equal(resolvePicomOptions({ ttl: 30 }).connection.pingInterval, 10_000);
    assert.equal(resolvePicomOptions({ ttl: 3 }).connection.pingInterval, 1_000);
    assert.equal(resolvePicomOptions({ ttl: 0.5 }).connection.pingInterval, 166);
    assert.equal(resolvePicomOptions({ ttl: 0.001 }).connection.pingInterval, 1, 'never below 1 ms');
    for (const ttl of [1, 2.5, 7, 30, 60, 3600]) {
      const { connection, ttl: resolvedTtl } = resolvePicomOptions({ ttl });
      assert.equal(resolvedTtl, ttl);
      assert.equal(connection.maxPingOut, 2);
      const detection = connection.pingInterval! * (connection.maxPingOut! + 1);
      assert.ok(detection <= ttl * 1000, `ttl ${ttl}: detected after ${detection} ms`);
      assert.ok(detection > ttl * 1000 - 3 * 1, `ttl ${ttl}: ${detection} ms is needlessly early`);
    }
    for (const ttl of [0, -1, NaN, '30']) {
      optionsError(() => resolvePicomOptions(loose({ ttl })), /Invalid option "ttl"/);
    }
  });

  it('names the connection after the client, unless a name is given', () => {
    assert.equal(resolvePicomOptions({}, 'picom:service1').connection.name, 'picom:service1');
    assert.equal(resolvePicomOptions({ name: 'mine' }, 'picom:service1').connection.name, 'mine');
  });

  it('passes tls, authenticator and inboxPrefix through', () => {
    const tls = { caFile: '/ca.pem' };
    const authenticator = (): { user: string } => ({ user: 'x' });
    const { connection } = resolvePicomOptions({ tls, authenticator, inboxPrefix: '_INBOX_svc' });
    assert.equal(connection.tls, tls);
    assert.equal(connection.authenticator, authenticator);
    assert.equal(connection.inboxPrefix, '_INBOX_svc');
  });
});

describe('validateServiceName', () => {
  it('returns a valid name', () => {
    for (const name of ['service1', 'my-service', 'svc_1', 'Svc', 'сервис', 'a']) {
      assert.equal(validateServiceName(name), name);
    }
  });

  it('rejects an empty or non-string name', () => {
    optionsError(() => validateServiceName(''), /Invalid service name "": expected a non-empty string/);
    optionsError(() => validateServiceName(undefined), /Invalid service name undefined/);
    optionsError(() => validateServiceName(null), /Invalid service name null/);
    optionsError(() => validateServiceName(42), /Invalid service name 42/);
    optionsError(() => validateServiceName({}), /Invalid service name of type object/);
    optionsError(() => validateServiceName(['svc']), /of type array/);
  });

  it('rejects names that are not one NATS token', () => {
    for (const name of ['a.b', '.', 'svc.', '*', 'svc*', '>', 'svc>', 'my service', ' svc', 'svc\t', 'svc\n']) {
      const message = optionsError(() => validateServiceName(name), /one NATS token, without "\.", "\*", ">" or spaces/);
      assert.ok(message.includes(JSON.stringify(name)), `message names ${JSON.stringify(name)}: ${message}`);
    }
  });
});
