import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Run by the compat run beside the Nest suites, in the same test processes and
 * with the same resolve hooks: shows that picom and Nest really come from the
 * workspace (picom's CommonJS build with the `require` condition), and prints
 * what was loaded for the summary. Outside a compat run it defines no test.
 */

const dir = process.env['PICOM_COMPAT_DIR'];

if (dir !== undefined && dir !== '') {
  it('loads picom and Nest from the compat workspace', async (t) => {
    const build = process.env['PICOM_COMPAT_CONDITION'] === 'require' ? 'cjs' : 'esm';
    const picomNest = fileURLToPath(import.meta.resolve('picom/nest'));
    const microservices = fileURLToPath(import.meta.resolve('@nestjs/microservices'));
    assert.ok(picomNest.startsWith(join(dir, 'node_modules', 'picom', 'dist', build) + sep), `picom/nest from ${picomNest}`);
    assert.ok(microservices.startsWith(join(dir, 'node_modules', '@nestjs', 'microservices') + sep), `Nest from ${microservices}`);
    const { PicomServer } = await import('picom/nest');
    const { Server } = await import('@nestjs/microservices');
    assert.ok(PicomServer.prototype instanceof Server, "picom's @nestjs/microservices is not the one the tests import");
    if (build === 'cjs') {
      // Imported CommonJS shares require's cache: this is the module an app's require('picom/nest') gets.
      const required = createRequire(join(dir, 'package.json'))('picom/nest') as { PicomServer: unknown };
      assert.equal(required.PicomServer, PicomServer, 'the imported picom/nest is not the required one');
    }
    const { version } = JSON.parse(readFileSync(join(dirname(microservices), 'package.json'), 'utf8')) as { version: string };
    t.diagnostic(`loaded: picom/nest ${relative(join(dir, 'node_modules', 'picom'), picomNest)}, @nestjs/microservices ${version}`);
  });
}
