import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinBytes, toBytes } from '../../lib/protocol/bytes.js';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('toBytes and joinBytes', () => {
  it('are the UTF-8 bytes of the text, for every kind of character and size', () => {
    const samples = ['', 'x', '{"a":1}', 'Zoë "q"\n🚀', '\ud800 lone', 'é'.repeat(5_000), 'x'.repeat(98_304), 'x'.repeat(98_305), '🚀'.repeat(60_000)];
    for (const text of samples) {
      assert.deepEqual(Buffer.from(toBytes(text)), utf8(text), `${text.length} units`);
      assert.deepEqual(Buffer.from(joinBytes('{"payload":', text, '}')), utf8(`{"payload":${text}}`), `${text.length} units joined`);
    }
  });

  it('never writes over bytes handed out before, across many slabs', () => {
    const handed: [Uint8Array, Buffer][] = [];
    // About 12 MiB of bodies of mixed sizes and widths: many slabs filled and replaced.
    for (let i = 0; i < 600; i++) {
      const text = (i % 3 === 0 ? 'ü' : 'x').repeat((i * 9_973) % 40_000) + String(i);
      handed.push([i % 2 === 0 ? toBytes(text) : joinBytes('[', text, ']'), utf8(i % 2 === 0 ? text : `[${text}]`)]);
    }
    for (const [bytes, expected] of handed) {
      assert.deepEqual(Buffer.from(bytes), expected);
    }
  });
});
