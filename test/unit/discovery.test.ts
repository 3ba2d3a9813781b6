import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_VERSION, Picom, PicomOptionsError } from 'picom';
import { PicomClient, PicomServer } from 'picom/nest';
import { MAX_LAST_ERROR_CHARS } from '../../lib/constants.js';
import { OPTION_MESSAGES } from '../../lib/options/constants.js';
import { infoDocument, isMicroName, microName, pingDocument, statsDocument } from '../../lib/discovery/micro.builder.js';
import { resolvePicomOptions } from '../../lib/options/picom-options.resolver.js';
import type { RefusalCounts } from '../../lib/responder/refusal.ledger.js';
import { EndpointStats } from '../../lib/routes/method-stats.js';
import { assertDocument } from '../fixtures/micro.fixture.js';

/** The pure pieces of discovery: option checks, name mapping, document building. */

const IDENTITY = { name: 'svc', id: 'ID1', version: '1.0.0', description: 'd', metadata: Object.freeze({ region: 'eu' }) };
const NO_REFUSALS: RefusalCounts = { unknownMethod: 0, headersRefused: 0, overloaded: 0, publishesDropped: 0, repliesDropped: 0, lastError: '' };

describe('discovery options', () => {
  it('defaults: discovery on, version 0.0.0, empty description and metadata', () => {
    const resolved = resolvePicomOptions({});
    assert.equal(DEFAULT_VERSION, '0.0.0');
    assert.equal(resolved.discovery, true);
    assert.equal(resolved.version, DEFAULT_VERSION);
    assert.equal(resolved.description, '');
    assert.deepEqual(resolved.metadata, {});
  });

  it('accepts what semver.org accepts', () => {
    for (const version of ['0.0.0', '1.2.3', '10.20.30', '1.0.0-alpha.1', '1.0.0-0.3.7', '1.0.0+build.5', '1.0.0-rc.1+sha.5114f85']) {
      assert.equal(resolvePicomOptions({ version }).version, version);
    }
  });

  it('refuses what semver.org refuses, on Picom and PicomServer', () => {
    for (const version of ['1.2', 'v1.2.3', '01.2.3', '1.2.3-', '1.2.3-01', ' 1.2.3', '1.2.3.4', '', 1 as unknown as string]) {
      assert.throws(() => new Picom('svc', { version }), (err: unknown) => {
        assert.ok(err instanceof PicomOptionsError);
        assert.match(err.message, /Invalid option "version".*SemVer/);
        return true;
      }, String(version));
      assert.throws(() => new PicomServer({ service: 'svc', version }), PicomOptionsError);
    }
  });

  it('metadata: a frozen copy of string pairs; anything else refused', () => {
    const source = JSON.parse('{"region":"eu","__proto__":"kept"}') as Record<string, string>;
    const resolved = resolvePicomOptions({ metadata: source }).metadata;
    assert.ok(Object.isFrozen(resolved));
    assert.deepEqual(Object.keys(resolved), ['region', '__proto__']);
    source['region'] = 'us';
    assert.equal(resolved['region'], 'eu');
    for (const metadata of [null, [], 'x', new Map(), { a: 1 }, { a: undefined }]) {
      assert.throws(() => new Picom('svc', { metadata: metadata as unknown as Record<string, string> }), (err: unknown) => {
        assert.ok(err instanceof PicomOptionsError);
        assert.match(err.message, /Invalid option "metadata"/);
        return true;
      }, String(metadata));
    }
    assert.throws(() => new Picom('svc', { metadata: { a: 1 } as unknown as Record<string, string> }), {
      message: OPTION_MESSAGES.metadataValueNotString('a', 'a number'),
    });
  });

  it('description must be a string, discovery a boolean', () => {
    assert.throws(() => new Picom('svc', { description: 5 as unknown as string }), { message: OPTION_MESSAGES.optionNotString('description') });
    assert.throws(() => new Picom('svc', { discovery: 'no' as unknown as boolean }), { message: OPTION_MESSAGES.optionNotBoolean('discovery', '"no"') });
  });

  it('PicomClient refuses them: they are serving options', () => {
    for (const key of ['version', 'description', 'metadata', 'discovery']) {
      assert.throws(() => new PicomClient({ [key]: undefined } as never), { message: OPTION_MESSAGES.serveOptionOnClient(key) });
    }
  });
});

describe('discovery names', () => {
  it('a method is listed with every character outside [a-zA-Z0-9_-] as "_"', () => {
    assert.equal(microName('add'), 'add');
    assert.equal(microName('user:get'), 'user_get');
    assert.equal(microName('a-b_C9'), 'a-b_C9');
    assert.equal(microName('é@x'), '__x');
    for (const name of ['user:get', 'é@x', '{"cmd":1}']) assert.ok(isMicroName(microName(name)));
  });

  it('service names the protocol cannot list', () => {
    assert.ok(isMicroName('service-1_a'));
    assert.ok(!isMicroName('svc:1'));
    assert.ok(!isMicroName(''));
  });
});

describe('discovery documents', () => {
  it('PING and INFO carry the identity, metadata always an object; INFO one endpoint per method', () => {
    const ping = pingDocument({ ...IDENTITY, metadata: Object.freeze({}) });
    assertDocument('ping', ping);
    assert.deepEqual(ping.metadata, {});
    const info = infoDocument(IDENTITY, ['add', 'user:get']);
    assertDocument('info', info);
    assert.deepEqual(info.endpoints, [
      { name: 'add', subject: 'svc.add', queue_group: 'svc', metadata: {} },
      { name: 'user_get', subject: 'svc.user:get', queue_group: 'svc', metadata: {} },
    ]);
    assert.equal(info.description, 'd');
  });

  it('STATS: nanoseconds, average truncated, 0 without requests; _refused last', () => {
    const busy = new EndpointStats();
    busy.record(0.0015);
    busy.record(0.001);
    busy.fail(0.0002, 'boom');
    const idle = new EndpointStats();
    const stats = statsDocument(IDENTITY, new Date(0).toISOString(), [['busy', busy], ['idle', idle]], NO_REFUSALS);
    assertDocument('stats', stats);
    const [first, second, refused] = stats.endpoints;
    assert.equal(first?.num_requests, 3);
    assert.equal(first?.num_errors, 1);
    assert.equal(first?.last_error, 'boom');
    assert.equal(first?.processing_time, 2700);
    assert.equal(first?.average_processing_time, 900);
    assert.equal(second?.average_processing_time, 0);
    assert.equal(second?.last_error, '');
    assert.equal(refused?.name, '_refused');
    assert.equal(refused?.subject, 'svc.>');
    assert.equal(stats.endpoints.length, 3);
  });

  it('the average is floor(total / requests)', () => {
    const stats = new EndpointStats();
    stats.record(0.000001);
    stats.record(0.000002);
    stats.record(0.000002);
    const [entry] = statsDocument(IDENTITY, '', [['m', stats]], NO_REFUSALS).endpoints;
    assert.equal(entry?.processing_time, 5);
    assert.equal(entry?.average_processing_time, 1, '5 / 3 truncated, not rounded');
  });

  it('_refused sums what never reached a handler; replies dropped are only in data; last_error is bounded', () => {
    const refusals: RefusalCounts = { unknownMethod: 3, headersRefused: 2, overloaded: 1, publishesDropped: 4, repliesDropped: 7, lastError: 'x'.repeat(10_000) };
    const [refused] = statsDocument(IDENTITY, '', [], refusals).endpoints;
    assert.equal(refused?.num_requests, 10);
    assert.equal(refused?.num_errors, 10);
    assert.deepEqual(refused?.data, { unknown_method: 3, headers_refused: 2, overloaded: 1, publishes_dropped: 4, replies_dropped: 7 });
    assert.equal(refused?.last_error.length, MAX_LAST_ERROR_CHARS);
  });

  it('an error text kept by a method is bounded too', () => {
    const stats = new EndpointStats();
    stats.fail(0, 'y'.repeat(5_000));
    assert.equal(stats.lastError.length, MAX_LAST_ERROR_CHARS);
  });
});
