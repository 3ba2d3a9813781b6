import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as picom from 'picom';
import { resolvePicomOptions } from '../../lib/options/picom-options.resolver.js';
import ts from 'typescript';

/**
 * README.md stays true: its TypeScript blocks compile against the built
 * package as a user's app would import it, its commands exist, and its
 * options table and error texts match the code.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const FILE_NAME = /^\/\/ ([\w.-]+\.ts)$/;

interface CodeBlock {
  lang: string;
  heading: string;
  code: string;
}

/** Fenced blocks, each with the nearest heading above it. */
function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let heading = '';
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of markdown.split('\n')) {
    if (open) {
      if (line.startsWith('```')) {
        blocks.push({ lang: open.lang, heading, code: open.lines.join('\n') + '\n' });
        open = undefined;
      } else {
        open.lines.push(line);
      }
    } else if (line.startsWith('```')) {
      open = { lang: line.slice(3).trim(), lines: [] };
    } else if (/^#{1,6} /.test(line)) {
      heading = line.replace(/^#+ /, '');
    }
  }
  assert.equal(open, undefined, 'README.md has an unclosed code block');
  return blocks;
}

/** Rows of the first table after `## <title>`: cells without the outer pipes. */
function tableRows(markdown: string, title: string): string[][] {
  const start = markdown.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README.md has no "## ${title}" section`);
  const rows: string[][] = [];
  for (const line of markdown.slice(start).split('\n').slice(2)) {
    if (line.startsWith('## ')) break;
    if (line.startsWith('|') && !/^\|\s*-/.test(line)) {
      rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
    } else if (rows.length > 0 && !line.startsWith('|')) {
      break;
    }
  }
  return rows.slice(1); // without the header row
}

/** Member names of the named interfaces in a source file. */
function interfaceMembers(file: string, names: string[]): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const members: string[] = [];
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node) && names.includes(node.name.text)) {
      for (const member of node.members) {
        if (member.name && ts.isIdentifier(member.name)) members.push(member.name.text);
      }
    }
  });
  return members;
}

function formatDiagnostics(diagnostics: readonly ts.Diagnostic[], root: string): string {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  });
}

describe('README.md', () => {
  const blocks = codeBlocks(README);

  it('gives the two commands exactly, and package.json has them', () => {
    const shell = blocks.filter((b) => b.lang === 'sh').map((b) => b.code.trim());
    assert.ok(shell.includes('npm ci && npm run demo'), `no "npm ci && npm run demo" block: ${JSON.stringify(shell)}`);
    assert.ok(shell.includes('npm test'), `no "npm test" block: ${JSON.stringify(shell)}`);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.ok(scripts['demo'] && scripts['test'], 'package.json lacks the demo or test script');
  });

  describe('TypeScript blocks', () => {
    const dir = (() => {
      mkdirSync(join(ROOT, 'build'), { recursive: true });
      // Inside the package, so that `picom` and `picom/nest` resolve through its exports map.
      return mkdtempSync(join(ROOT, 'build', 'readme-'));
    })();
    after(() => rmSync(dir, { recursive: true, force: true }));
    const tsBlocks = blocks.filter((b) => b.lang === 'ts' || b.lang === 'typescript');

    it('cover the three quick starts, each block naming its file on its first line', () => {
      for (const heading of ['A Nest service', 'A Nest caller', 'A plain service']) {
        assert.ok(tsBlocks.some((b) => b.heading === heading), `no TypeScript block under "${heading}"`);
      }
      for (const block of tsBlocks) {
        assert.match(block.code.split('\n')[0] ?? '', FILE_NAME, `a block under "${block.heading}" does not start with "// <file>.ts"`);
      }
    });

    it('type-check against the built package, as an app importing picom and picom/nest', () => {
      // One folder per heading: the blocks of one quick start import each other.
      const files = tsBlocks.map((block) => {
        const name = FILE_NAME.exec(block.code.split('\n')[0] ?? '')?.[1] ?? 'snippet.ts';
        const file = join(dir, block.heading.toLowerCase().replace(/[^a-z0-9]+/g, '-'), name);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, block.code);
        return file;
      });
      const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config as Record<string, unknown>;
      const parsed = ts.parseJsonConfigFileContent({ ...config, include: [], files }, ts.sys, ROOT);
      const program = ts.createProgram(files, { ...parsed.options, noEmit: true });
      const diagnostics = ts.getPreEmitDiagnostics(program);
      assert.equal(diagnostics.length, 0, formatDiagnostics(diagnostics, ROOT));
    });
  });

  it('lists every option in the options table, with the defaults the code applies', () => {
    const rows = tableRows(README, 'Options');
    const documented = new Map(rows.map(([name = '', byDefault = '']) => [name.replace(/`/g, ''), byDefault.replace(/`/g, '')]));
    const options = interfaceMembers(join(ROOT, 'lib/interfaces/picom-options.interface.ts'), [
      'PicomConnectionOptions',
      'PicomServeOptions',
    ]);
    assert.ok(options.length >= 16, `found only ${options.length} options in the interfaces`);
    assert.deepEqual([...documented.keys()].sort(), [...options].sort(), 'the table and the option interfaces differ');

    const defaults = resolvePicomOptions({});
    assert.equal(documented.get('servers'), picom.DEFAULT_SERVERS.join(', '));
    assert.equal(documented.get('timeout'), String(defaults.timeout));
    assert.equal(documented.get('retries'), String(defaults.retries));
    assert.equal(documented.get('ttl'), String(defaults.ttl));
    assert.equal(documented.get('gracePeriod'), String(defaults.gracePeriod));
    assert.equal(documented.get('connectTimeout'), String(defaults.connectTimeout));
    assert.equal(documented.get('handlerTimeout'), String(defaults.handlerTimeout));
    assert.equal(documented.get('maxHeaderBytes'), String(defaults.maxHeaderBytes));
    assert.equal(documented.get('maxHeaderCount'), String(defaults.maxHeaderCount));
    assert.equal(documented.get('maxQueued'), String(defaults.maxQueued));
    assert.equal(documented.get('maxConcurrency'), defaults.maxConcurrency === Infinity ? 'unlimited' : String(defaults.maxConcurrency));
  });

  it('quotes the error texts that travel on the wire as the code writes them', () => {
    for (const text of [
      picom.WIRE_MESSAGES.timedOut('<subject>'),
      picom.WIRE_MESSAGES.methodNotFound('<method>'),
      picom.WIRE_MESSAGES.BAD_JSON_REQUEST,
      picom.WIRE_MESSAGES.BAD_JSON_RESPONSE,
    ]) {
      assert.ok(README.includes(text), `README.md does not quote ${JSON.stringify(text)}`);
    }
  });

  it('names every error class the package exports', () => {
    const errors = Object.entries(picom)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof picom.PicomError)
      .map(([name]) => name);
    assert.ok(errors.length >= 8, `found only ${errors.length} error classes`);
    for (const name of errors) {
      assert.ok(README.includes(`\`${name}\``), `README.md does not mention ${name}`);
    }
  });
});
