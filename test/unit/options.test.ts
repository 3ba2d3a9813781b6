import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_GRACE_PERIOD,
  DEFAULT_HANDLER_TIMEOUT,
  DEFAULT_MAX_QUEUED,
  MAX_CONNECTION_NAME_BYTES,
  MAX_INBOX_PREFIX_BYTES,
  MAX_SERVICE_NAME_BYTES,
  DEFAULT_RETRIES,
  DEFAULT_SERVERS,
  DEFAULT_TIMEOUT,
  DEFAULT_TTL,
} from '../../lib/constants.js';
import { PicomError, PicomOptionsError } from '../../lib/errors/index.js';
import type { PicomLogger } from '../../lib/interfaces/picom-logger.interface.js';
import type { PicomOptions } from '../../lib/interfaces/picom-options.interface.js';
import { PicomRecord, PicomRecordBuilder } from '../../lib/nest/record-builders/picom.record-builder.js';
import { FOREIGN_OPTION_HINTS, SERVERS_ENV } from '../../lib/options/constants.js';
import {
  callTimeout,
  resolvePicomOptions,
  validateServiceName,
  type PicomEndpointKind,
} from '../../lib/options/picom-options.resolver.js';
import { parseServer } from '../../lib/options/servers.parser.js';

// The defaults below must not depend on the shell running the tests.
const savedServersEnv = process.env[SERVERS_ENV];
before(() => {
  delete process.env[SERVERS_ENV];
});
after(() => {
  if (savedServersEnv === undefined) delete process.env[SERVERS_ENV];
  else process.env[SERVERS_ENV] = savedServersEnv;
});

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
  it('are the documented constants', () => {
    const resolved = resolvePicomOptions();
    assert.deepEqual(resolved.servers, DEFAULT_SERVERS.map((server) => `nats://${server}`));
    assert.equal(resolved.timeout, DEFAULT_TIMEOUT);
    assert.equal(resolved.retries, DEFAULT_RETRIES);
    assert.equal(resolved.ttl, DEFAULT_TTL);
    assert.equal(resolved.connectTimeout, DEFAULT_CONNECT_TIMEOUT);
    assert.equal(resolved.gracePeriod, DEFAULT_GRACE_PERIOD);
    assert.equal(resolved.handlerTimeout, DEFAULT_HANDLER_TIMEOUT);
    assert.equal(resolved.maxQueued, DEFAULT_MAX_QUEUED);
  });

  it('apply when nothing is given', () => {
    for (const resolved of [resolvePicomOptions(), resolvePicomOptions({})]) {
      assert.deepEqual(resolved.servers, ['nats://127.0.0.1:4222']);
      assert.equal(resolved.timeout, 30_000);
      assert.equal(resolved.retries, -1);
      assert.equal(resolved.ttl, 30);
      assert.equal(resolved.gracePeriod, DEFAULT_GRACE_PERIOD);
      assert.equal(resolved.maxConcurrency, Infinity);
      assert.equal(resolved.maxQueued, 10_000);
      assert.deepEqual(resolved.connection, {
        servers: ['nats://127.0.0.1:4222'],
        name: 'picom',
        maxReconnectAttempts: -1,
        timeout: 5_000,
        pingInterval: 10_000,
        maxPingOut: 2,
        noAsyncTraces: true,
      });
    }
  });

  it('use a logger that prints nothing', () => {
    const { logger } = resolvePicomOptions();
    const printed: string[] = [];
    const saved = { stdout: process.stdout.write, stderr: process.stderr.write, console: { ...console } };
    const capture = (chunk: unknown): boolean => {
      printed.push(String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    for (const method of ['error', 'warn', 'log', 'info', 'debug'] as const) {
      console[method] = (...args: unknown[]) => printed.push(args.join(' '));
    }
    try {
      logger.error('an error line');
      logger.warn('a warning line');
      logger.log('a log line');
    } finally {
      process.stdout.write = saved.stdout;
      process.stderr.write = saved.stderr;
      Object.assign(console, saved.console);
    }
    assert.deepEqual(printed, []);
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
    assert.equal(resolvePicomOptions({}, { clientName: 'picom:service1' }).connection.name, 'picom:service1');
    assert.equal(resolvePicomOptions({ name: 'mine' }, { clientName: 'picom:service1' }).connection.name, 'mine');
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

  it('takes names of up to 256 UTF-8 bytes, and names the limit beyond', () => {
    assert.equal(MAX_SERVICE_NAME_BYTES, 256);
    for (const name of ['s'.repeat(256), 'é'.repeat(128), '€'.repeat(85)]) {
      assert.equal(validateServiceName(name), name, `${name.length} characters`);
    }
    optionsError(() => validateServiceName('s'.repeat(257)), /^Invalid service name "s+"…: 257 bytes, over the 256-byte limit on a service name \(UTF-8\)/);
    // 129 characters: under the limit counted in UTF-16 units, over it in bytes.
    optionsError(() => validateServiceName(`${'é'.repeat(128)}x`), /: 257 bytes, over the 256-byte limit/);
    const message = optionsError(() => validateServiceName('s'.repeat(5_000)), /5000 bytes, over the 256-byte limit/);
    assert.ok(message.length < 400, `the message echoes the whole name: ${message.length} chars`);
  });
});

describe('inboxPrefix and name', () => {
  it('takes an inbox prefix of one or more tokens, up to 256 bytes', () => {
    for (const inboxPrefix of ['_INBOX', '_INBOX.alice', 'a.b.c', 'p'.repeat(256), `_I.${'é'.repeat(126)}x`]) {
      assert.equal(resolvePicomOptions({ inboxPrefix }).connection.inboxPrefix, inboxPrefix);
    }
  });

  it('refuses a prefix that is not a subject prefix, naming the option', () => {
    for (const inboxPrefix of ['', 'a b', ' _INBOX', '_INBOX.', '.x', '_INBOX..x', '_INBOX.*', '_INBOX.>', '*', 'a\tb', 'a\r\nb']) {
      optionsError(() => resolvePicomOptions({ inboxPrefix }), /^Invalid option "inboxPrefix" .*expected a subject prefix such as "_INBOX"/);
    }
  });

  it('refuses a prefix over 256 bytes, naming the limit', () => {
    assert.equal(MAX_INBOX_PREFIX_BYTES, 256);
    optionsError(() => resolvePicomOptions({ inboxPrefix: 'p'.repeat(257) }), /"inboxPrefix" "p+"…: 257 bytes, over the 256-byte limit/);
    optionsError(() => resolvePicomOptions({ inboxPrefix: `_I.${'é'.repeat(127)}` }), /: 257 bytes, over the 256-byte limit/);
  });

  it('takes a connection name of up to 512 bytes as the CONNECT line carries it (JSON-escaped)', () => {
    assert.equal(MAX_CONNECTION_NAME_BYTES, 512);
    for (const name of ['n'.repeat(512), 'é'.repeat(256), '"'.repeat(256)]) {
      assert.equal(resolvePicomOptions({ name }).connection.name, name);
    }
    optionsError(() => resolvePicomOptions({ name: 'n'.repeat(513) }), /^Invalid option "name" "n+"…: 513 bytes .*over the 512-byte limit/);
    // 257 quotes are 514 bytes once escaped; a control character takes 6.
    optionsError(() => resolvePicomOptions({ name: '"'.repeat(257) }), /: 514 bytes as written in the NATS CONNECT line/);
    optionsError(() => resolvePicomOptions({ name: '\u0001'.repeat(86) }), /: 516 bytes/);
  });

  it('checks the default name too; a service name within its limit always gives one that fits', () => {
    const service = 's'.repeat(256);
    assert.equal(resolvePicomOptions({}, { clientName: `picom:${service}` }).connection.name, `picom:${service}`);
    optionsError(() => resolvePicomOptions({}, { clientName: 'n'.repeat(600) }), /"name" .*600 bytes/);
  });
});

const ENDPOINTS: readonly PicomEndpointKind[] = ['picom', 'server', 'client'];
const ENDPOINT_NAMES: Record<PicomEndpointKind, string> = { picom: 'Picom', server: 'PicomServer', client: 'PicomClient' };
const CONNECTION_KEYS = [
  'servers', 'timeout', 'retries', 'connectTimeout', 'ttl', 'port', 'token',
  'user', 'pass', 'authenticator', 'tls', 'inboxPrefix', 'name', 'logger',
];
const SERVE_KEYS = ['gracePeriod', 'handlerTimeout', 'maxConcurrency', 'maxQueued'];

/** Resolves `options` for `endpoint` as the endpoint's constructor does. */
const resolveFor = (endpoint: PicomEndpointKind, options: Record<string, unknown>) =>
  resolvePicomOptions(loose(options), { clientName: 'picom:test', endpoint });

describe('resolvePicomOptions unknown keys', () => {
  it('refuses an unknown key on every endpoint, naming it and the endpoint, and lists the valid options', () => {
    for (const endpoint of ENDPOINTS) {
      const message = optionsError(() => resolveFor(endpoint, { frobnicate: true }), /Unknown option "frobnicate"/);
      assert.ok(message.includes(`for ${ENDPOINT_NAMES[endpoint]};`), message);
      assert.match(message, /; valid options: (service, )?servers, timeout, /);
      assert.doesNotMatch(message, /did you mean/);
    }
    // The client's list leaves out what it refuses.
    const clientMessage = optionsError(() => resolveFor('client', { frobnicate: true }));
    assert.doesNotMatch(clientMessage, /gracePeriod|service\b/);
    assert.match(optionsError(() => resolveFor('server', { frobnicate: true })), /valid options: service, servers/);
  });

  it('refuses an unknown key whatever its value, undefined included', () => {
    for (const value of [undefined, null, 0, '', false, {}]) {
      optionsError(() => resolveFor('picom', { timout: value }), /Unknown option "timout"/);
    }
  });

  it('accepts valid keys whose value is undefined, as if absent', () => {
    const allUndefined = Object.fromEntries([...CONNECTION_KEYS, ...SERVE_KEYS].map((key) => [key, undefined]));
    const resolved = resolveFor('picom', allUndefined);
    assert.equal(resolved.timeout, DEFAULT_TIMEOUT);
    assert.deepEqual(resolved.servers, ['nats://127.0.0.1:4222']);
  });

  it('accepts every option of each endpoint', () => {
    const connection = {
      servers: 'h:1', timeout: 1, retries: 0, connectTimeout: 1, ttl: 1, port: 1, token: 't', user: 'u', pass: 'p',
      authenticator: () => ({}), tls: {}, inboxPrefix: '_I', name: 'n', logger: console,
    };
    const serve = { gracePeriod: 0, handlerTimeout: 0, maxConcurrency: 1, maxQueued: 0 };
    assert.deepEqual(Object.keys(connection), CONNECTION_KEYS);
    assert.deepEqual(Object.keys(serve), SERVE_KEYS);
    assert.doesNotThrow(() => resolveFor('client', connection));
    assert.doesNotThrow(() => resolveFor('picom', { ...connection, ...serve }));
    assert.doesNotThrow(() => resolveFor('server', { service: 'svc', ...connection, ...serve }));
  });

  it('suggests the option a typo meant', () => {
    const typos: [string, string][] = [
      ['timout', 'timeout'],
      ['tiemout', 'timeout'],
      ['Timeout', 'timeout'],
      ['server', 'servers'],
      ['Servers', 'servers'],
      ['SERVERS', 'servers'],
      ['INBOXPREFIX', 'inboxPrefix'],
      ['retires', 'retries'],
      ['tsl', 'tls'],
      ['ttls', 'ttl'],
      ['connectTimout', 'connectTimeout'],
      ['inboxprefix', 'inboxPrefix'],
      ['loger', 'logger'],
    ];
    for (const endpoint of ENDPOINTS) {
      for (const [typo, meant] of typos) {
        optionsError(
          () => resolveFor(endpoint, { [typo]: 1 }),
          new RegExp(`^Unknown option "${typo}" for ${ENDPOINT_NAMES[endpoint]}: did you mean "${meant}"\\?$`),
        );
      }
    }
    optionsError(() => resolveFor('picom', { gracePeriode: 1 }), /did you mean "gracePeriod"\?/);
    optionsError(() => resolveFor('server', { servise: 'x' }), /did you mean "service"\?/);
  });

  it('suggests nothing when no option is close', () => {
    for (const key of ['host', 'address', 'hostname', 'xyz', 'a']) {
      assert.doesNotMatch(optionsError(() => resolveFor('picom', { [key]: 1 }), /Unknown option/), /did you mean/);
    }
    // A serve option is no suggestion for a client.
    assert.doesNotMatch(optionsError(() => resolveFor('client', { gracePeriode: 1 })), /did you mean/);
  });

  it('names every refused key when there are several', () => {
    const message = optionsError(() => resolveFor('picom', { timout: 1, servers: 'h:1', queue: 'q', foo: 1 }));
    assert.match(message, /^Unknown option "timout" for Picom: did you mean "timeout"\?; also refused: "queue", "foo"$/);
  });

  it('does not take Object.prototype names for table entries', () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty', '__defineGetter__']) {
      optionsError(() => resolveFor('picom', { [key]: 1 }), new RegExp(`^Unknown option "${key}" for Picom; valid options`));
    }
  });
});

describe('resolvePicomOptions options of Nest and nats.js', () => {
  it('explains every entry of the table on every endpoint', () => {
    assert.ok(Object.isFrozen(FOREIGN_OPTION_HINTS));
    for (const [key, hint] of Object.entries(FOREIGN_OPTION_HINTS)) {
      for (const endpoint of ENDPOINTS) {
        const message = optionsError(() => resolveFor(endpoint, { [key]: undefined }));
        assert.equal(message, `Option ${JSON.stringify(key)} does not apply to ${ENDPOINT_NAMES[endpoint]}: ${hint}`);
      }
    }
  });

  it('covers every option of Nest\'s Transport.NATS and of nats.js connect() that Picom does not take', () => {
    // Nest 12's NatsOptions['options'] and nats.js v3's ConnectionOptions, top level.
    const nest = [
      'headers', 'authenticator', 'debug', 'ignoreClusterUpdates', 'inboxPrefix', 'encoding', 'name', 'user', 'pass',
      'maxPingOut', 'maxReconnectAttempts', 'reconnectTimeWait', 'reconnectJitter', 'reconnectJitterTLS',
      'reconnectDelayHandler', 'servers', 'nkey', 'reconnect', 'pedantic', 'tls', 'queue', 'serializer', 'deserializer',
      'userJWT', 'nonceSigner', 'userCreds', 'useOldRequestStyle', 'pingInterval', 'preserveBuffers',
      'waitOnFirstConnect', 'verbose', 'noEcho', 'noRandomize', 'timeout', 'token', 'yieldTime', 'tokenHandler',
      'gracefulShutdown', 'gracePeriod',
    ];
    const natsJs = [
      'authenticator', 'debug', 'maxPingOut', 'maxReconnectAttempts', 'name', 'noEcho', 'noRandomize', 'pass',
      'pedantic', 'pingInterval', 'port', 'reconnect', 'reconnectDelayHandler', 'reconnectJitter', 'reconnectJitterTLS',
      'reconnectTimeWait', 'servers', 'timeout', 'tls', 'token', 'user', 'verbose', 'waitOnFirstConnect',
      'ignoreClusterUpdates', 'inboxPrefix', 'ignoreAuthErrorAbort', 'noAsyncTraces', 'resolve', 'reconnectToServer',
    ];
    const picomKeys = new Set([...CONNECTION_KEYS, ...SERVE_KEYS]);
    for (const key of new Set([...nest, ...natsJs])) {
      assert.ok(picomKeys.has(key) || Object.hasOwn(FOREIGN_OPTION_HINTS, key), `"${key}" has no explanation`);
    }
  });

  it('names the Picom equivalent of the usual ones', () => {
    const expectations: [string, RegExp[]][] = [
      ['serializer', [/wire format is fixed JSON envelopes/, /old Picom processes/]],
      ['deserializer', [/wire format is fixed JSON envelopes/]],
      ['queue', [/queue group is always the service name/]],
      ['headers', [/PicomRecordBuilder\.setHeaders\(\)/, /request\(subject, message, \{ headers \}\)/]],
      ['url', [/use "servers"/]],
      ['maxReconnectAttempts', [/use "retries"/]],
      ['reconnectTimeWait', [/"retries"/]],
      ['pingInterval', [/use "ttl"/]],
      ['maxPingOut', [/use "ttl"/]],
      ['gracefulShutdown', [/always drains/, /"gracePeriod"/]],
      ['caFile', [/inside the "tls" option/]],
      ['userCreds', [/credsAuthenticator\(\)/]],
      ['clientName', [/PicomModule\.register\(\)/]],
    ];
    for (const [key, patterns] of expectations) {
      const message = optionsError(() => resolveFor('client', { [key]: 'x' }), new RegExp(`^Option "${key}" does not apply to PicomClient: `));
      for (const pattern of patterns) assert.match(message, pattern, key);
    }
  });

  it('refuses serve options on a client, saying they apply to serving endpoints', () => {
    for (const key of SERVE_KEYS) {
      optionsError(
        () => resolveFor('client', { [key]: 1 }),
        new RegExp(`^Option "${key}" does not apply to PicomClient: it applies to serving endpoints \\(Picom, PicomServer\\)$`),
      );
      assert.doesNotThrow(() => resolveFor('picom', { [key]: 1 }));
      assert.doesNotThrow(() => resolveFor('server', { [key]: 1 }));
    }
  });

  it('takes "service" on a PicomServer only, and says where it goes elsewhere', () => {
    assert.doesNotThrow(() => resolveFor('server', { service: 'svc' }));
    optionsError(() => resolveFor('picom', { service: 'svc' }), /"service" does not apply to Picom: .*new Picom\(name, options\)/);
    optionsError(() => resolveFor('client', { service: 'svc' }), /"service" does not apply to PicomClient: .*send\("service\.method", data\)/);
  });

  it('treats a call without the endpoint argument as plain Picom', () => {
    assert.equal(resolvePicomOptions({ gracePeriod: 5 }).gracePeriod, 5);
    optionsError(() => resolvePicomOptions(loose({ service: 'svc' })), /does not apply to Picom:/);
  });
});

describe('resolvePicomOptions server address rules', () => {
  const servers = (value: unknown): string[] => resolvePicomOptions(loose({ servers: value })).servers;

  it('accepts nats://, tls://, host:port and host alone, in any case', () => {
    assert.deepEqual(servers(['NATS://h:1', 'Tls://h:2', 'h:3', 'h', '[::1]', 'nats://h:4/']), [
      'nats://h:1',
      'tls://h:2',
      'nats://h:3',
      'nats://h',
      'nats://[::1]',
      'nats://h:4',
    ]);
  });

  it('refuses other schemes, naming the address', () => {
    for (const address of ['http://127.0.0.1:4222', 'https://h:443', 'nats-route://h:6222', 'tcp://h:4222', 'HTTP://h']) {
      const message = optionsError(() => servers(address), /is not a NATS scheme; use nats:\/\/, tls:\/\/ or plain host:port$/);
      assert.ok(message.startsWith(`Invalid server address ${JSON.stringify(address)} in "servers": `), message);
    }
  });

  it('refuses WebSocket addresses: Node\'s transport speaks TCP', () => {
    for (const address of ['ws://h:80', 'wss://h:443', 'WSS://h']) {
      const message = optionsError(() => servers(address));
      assert.equal(
        message,
        `Invalid server address ${JSON.stringify(address)} in "servers": Picom's Node transport speaks TCP (nats://, tls://); ` +
          'WebSocket needs wsconnect() from @nats-io/nats-core, which Picom does not use',
      );
    }
  });

  it('refuses a path, a query or a fragment', () => {
    for (const address of ['nats://h:4222/path', 'h:4222?x=1', 'h:4222#top']) {
      optionsError(() => servers(address), /has no path, query or fragment/);
    }
  });

  it('names the refused entry and its index, in an array or a comma-separated string', () => {
    optionsError(() => servers(['h:1', 'h:2', 'http://h:3']), /^Invalid server address "http:\/\/h:3" in "servers"\[2\]: /);
    optionsError(() => servers('h:1, ws://h:2'), /^Invalid server address "ws:\/\/h:2" in "servers"\[1\]: /);
    optionsError(() => servers(['http://h:1']), /^Invalid server address "http:\/\/h:1" in "servers"\[0\]: /);
    optionsError(() => servers('bad host:1'), /^Invalid server address "bad host:1" in "servers": expected "host", "host:port"/);
    optionsError(() => servers(['h:1', 42]), /^Invalid server address 42 in "servers"\[1\]: expected a non-empty string$/);
    optionsError(() => servers(['h:1', '']), /^Invalid server address "" in "servers"\[1\]: expected a non-empty string$/);
  });

  it('replaces credentials of a refused address with ***', () => {
    const cases: [unknown, string, RegExp][] = [
      ['http://alice:s3cr3t@h:1', '"http://***@h:1" in "servers"', /alice|s3cr3t/],
      [['h:0', 'ws://tok3n@h:2'], '"ws://***@h:2" in "servers"[1]', /tok3n/],
      ['h:0, bob:hunter2@bad host:3', '"***@bad host:3" in "servers"[1]', /bob|hunter2/],
      ['nats://alice:p@ss@[::1', '"nats://***@[::1" in "servers"', /alice|p@ss/],
      ['nats://alice:50%off@h:4', '"nats://***@h:4" in "servers"', /alice|50%off/],
      ['nats://alice:s3cr3t@h:4/path', '"nats://***@h:4/path" in "servers"', /alice|s3cr3t/],
    ];
    for (const [value, named, secret] of cases) {
      const message = optionsError(() => servers(value));
      assert.ok(message.includes(named), `${message} names ${named}`);
      assert.doesNotMatch(message, secret);
    }
  });

  it('parseServer names where the address was written', () => {
    optionsError(() => parseServer('http://h', 'somewhere[3]'), /^Invalid server address "http:\/\/h" in somewhere\[3\]: /);
    optionsError(() => parseServer('http://h'), /^Invalid server address "http:\/\/h": /);
  });
});

describe('PICOM_SERVERS', () => {
  /** Runs `fn` with PICOM_SERVERS set to `value` (deleted for undefined), then restores it. */
  function withServersEnv<T>(value: string | undefined, fn: () => T): T {
    const saved = process.env[SERVERS_ENV];
    if (value === undefined) delete process.env[SERVERS_ENV];
    else process.env[SERVERS_ENV] = value;
    try {
      return fn();
    } finally {
      if (saved === undefined) delete process.env[SERVERS_ENV];
      else process.env[SERVERS_ENV] = saved;
    }
  }

  it('is the variable the docs name', () => {
    assert.equal(SERVERS_ENV, 'PICOM_SERVERS');
  });

  it('supplies the servers when the option is absent or undefined', () => {
    withServersEnv('h1:1, nats://h2:2,tls://h3:3', () => {
      for (const options of [{}, { servers: undefined }]) {
        const resolved = resolvePicomOptions(options);
        assert.deepEqual(resolved.servers, ['nats://h1:1', 'nats://h2:2', 'tls://h3:3']);
        assert.deepEqual(resolved.connection.servers, resolved.servers);
      }
      assert.deepEqual(resolvePicomOptions().servers, ['nats://h1:1', 'nats://h2:2', 'tls://h3:3']);
    });
  });

  it('loses to the servers option', () => {
    withServersEnv('h1:1', () => {
      assert.deepEqual(resolvePicomOptions({ servers: 'mine:9' }).servers, ['nats://mine:9']);
    });
  });

  it('counts as unset when empty, and is read at each resolve', () => {
    withServersEnv('', () => assert.deepEqual(resolvePicomOptions().servers, ['nats://127.0.0.1:4222']));
    withServersEnv(undefined, () => assert.deepEqual(resolvePicomOptions().servers, ['nats://127.0.0.1:4222']));
    withServersEnv('h9:9', () => assert.deepEqual(resolvePicomOptions().servers, ['nats://h9:9']));
  });

  it('takes credentials and never echoes them', () => {
    withServersEnv('nats://alice:s3cr3t@h1:1', () => {
      const resolved = resolvePicomOptions();
      assert.deepEqual(resolved.servers, ['nats://h1:1']);
      assert.equal(resolved.connection.user, 'alice');
      assert.equal(resolved.connection.pass, 's3cr3t');
    });
    withServersEnv('h0:0, http://alice:s3cr3t@h1:1', () => {
      assert.doesNotMatch(optionsError(() => resolvePicomOptions(), /PICOM_SERVERS/), /alice|s3cr3t/);
    });
  });

  it('errors say the address came from PICOM_SERVERS', () => {
    withServersEnv('h1:1, http://h2:2', () => {
      optionsError(
        () => resolvePicomOptions(),
        /^Invalid server address "http:\/\/h2:2" in PICOM_SERVERS\[1\] \(environment variable\): http:\/\/ is not a NATS scheme/,
      );
    });
    withServersEnv('ws://h:1', () => {
      optionsError(() => resolvePicomOptions(), /^Invalid server address "ws:\/\/h:1" in PICOM_SERVERS \(environment variable\): .*WebSocket/);
    });
    withServersEnv(' , ', () => {
      optionsError(() => resolvePicomOptions(), /^Invalid server address "" in PICOM_SERVERS\[0\] \(environment variable\): expected a non-empty string$/);
    });
  });
});

describe('callTimeout', () => {
  it('returns the fallback for undefined and a positive number as is', () => {
    assert.equal(callTimeout(undefined, 1234), 1234);
    for (const value of [1, 0.5, 250, 30_000, 2 ** 40]) {
      assert.equal(callTimeout(value, 1234), value);
    }
  });

  it('refuses anything else, naming the value', () => {
    assert.equal(
      optionsError(() => callTimeout(0, 1000)),
      'Invalid timeout 0 for this call: expected a positive number of milliseconds',
    );
    const named: [unknown, string][] = [
      [-1, '-1'],
      [Number.NaN, 'NaN'],
      [Infinity, 'Infinity'],
      ['500', '"500"'],
      [null, 'null'],
      [true, 'true'],
      [{}, 'of type object'],
      [[500], 'of type array'],
    ];
    for (const [value, text] of named) {
      optionsError(() => callTimeout(value, 1000), new RegExp(`^Invalid timeout ${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} for this call`));
    }
  });
});

describe('PicomRecordBuilder and PicomRecord timeouts', () => {
  it('setTimeout takes a positive number of milliseconds', () => {
    assert.equal(new PicomRecordBuilder({ a: 1 }).setTimeout(500).build().timeout, 500);
    assert.equal(new PicomRecordBuilder({ a: 1 }).build().timeout, undefined);
    assert.equal(new PicomRecordBuilder({ a: 1 }).setTimeout(500).setTimeout(undefined as never).build().timeout, undefined);
  });

  it('setTimeout throws at once for an invalid timeout', () => {
    for (const bad of [0, -5, Number.NaN, Infinity, '500']) {
      const builder = new PicomRecordBuilder({ a: 1 });
      optionsError(() => builder.setTimeout(bad as number), /^Invalid timeout .* for this call: expected a positive number of milliseconds$/);
    }
  });

  it('a record built by hand is checked too', () => {
    assert.equal(new PicomRecord({ a: 1 }, undefined, 250).timeout, 250);
    assert.equal(new PicomRecord({ a: 1 }).timeout, undefined);
    optionsError(() => new PicomRecord({ a: 1 }, undefined, 0), /^Invalid timeout 0 for this call/);
    optionsError(() => new PicomRecord({ a: 1 }, {}, -1), /^Invalid timeout -1 for this call/);
  });
});
