import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REPLY_TOKEN_LENGTH, REPLY_TOKENS_PER_FILL } from '../../lib/requester/constants.js';
import { nextReplyToken } from '../../lib/requester/reply-token.pool.js';

/** Reply tokens: random, valid as one NATS subject token, fresh across pool refills. */
describe('nextReplyToken', () => {
  it(`is 64 bits as ${REPLY_TOKEN_LENGTH} base64url characters, valid in a NATS subject token`, () => {
    for (let i = 0; i < 1_000; i++) {
      const token = nextReplyToken();
      assert.equal(token.length, REPLY_TOKEN_LENGTH);
      assert.match(token, /^[A-Za-z0-9_-]+$/);
      const bytes = Buffer.from(token, 'base64url');
      assert.equal(bytes.length, 8);
      // Node's own encoder gives back the same text: the hand-written encoding is standard base64url.
      assert.equal(bytes.toString('base64url'), token);
    }
  });

  it('never repeats, across several refills of the pool', () => {
    const count = REPLY_TOKENS_PER_FILL * 5 + 7;
    const tokens = new Set<string>();
    for (let i = 0; i < count; i++) tokens.add(nextReplyToken());
    assert.equal(tokens.size, count);
  });

  it('spreads its bits: every character position takes many values', () => {
    const tokens = Array.from({ length: 4_000 }, () => nextReplyToken());
    const length = tokens[0]!.length;
    for (let position = 0; position < length - 1; position++) {
      const seen = new Set(tokens.map((t) => t[position]));
      // 64 symbols per position; a counter would keep the leading ones fixed.
      assert.ok(seen.size > 50, `position ${position}: ${seen.size} distinct characters`);
    }
  });
});
