import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BenchUsageError } from '../../bench/command-line.js';
import { parseSettings } from '../../bench/settings.js';

describe('bench settings: --against', () => {
  it('takes the ref as the next argument or after =, and leaves the other options as they were', () => {
    const spaced = parseSettings(['--against', 'db7dcac', '--scenarios=small', '--rounds=2']);
    const joined = parseSettings(['--against=db7dcac', '--scenarios=small', '--rounds=2']);
    for (const settings of [spaced, joined]) {
      assert.equal(settings.against, 'db7dcac');
      assert.deepEqual(settings.scenarios.map((s) => [s.id, s.rounds]), [['small', 2]]);
    }
  });

  it('is undefined without the option: an ordinary run', () => {
    assert.equal(parseSettings(['--quick']).against, undefined);
  });

  it('refuses an --against without a ref, also when the next argument is an option', () => {
    for (const argv of [['--against'], ['--against='], ['--against', '--quick']]) {
      assert.throws(() => parseSettings(argv), (err: unknown) => err instanceof BenchUsageError && /--against expects a git ref/.test(err.message), argv.join(' '));
    }
  });

  it('does not let other options take the next argument', () => {
    assert.throws(() => parseSettings(['--stacks', 'picom-plain']), BenchUsageError);
  });
});

describe('bench settings: stacks', () => {
  it('runs the five main stacks by default, the variants only when named', () => {
    const expected = ['raw-fast', 'raw-default', 'nest-nats', 'picom-nest', 'picom-plain'];
    assert.deepEqual(parseSettings([]).stacks, expected);
    assert.deepEqual(parseSettings(['--against', 'HEAD']).stacks, expected);
  });

  it('runs the synchronous-handler variants when named, in the table order', () => {
    assert.deepEqual(parseSettings(['--stacks=picom-plain-sync,picom-nest-sync,picom-plain']).stacks, ['picom-plain', 'picom-nest-sync', 'picom-plain-sync']);
  });

  it('names the unknown stack', () => {
    assert.throws(() => parseSettings(['--stacks=picom-plain-async']), /unknown "picom-plain-async"/);
  });
});
