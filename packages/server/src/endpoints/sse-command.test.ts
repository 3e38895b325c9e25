import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { streamSecret } from './sse-command.ts';

describe('streamSecret', () => {
  it('gives 144-bit base64url secrets, never the same one twice across pool refills', () => {
    const seen = new Set<string>();
    // 256 secrets fill one pool: 1,000 spans four refills.
    for (let i = 0; i < 1000; i++) {
      const s = streamSecret();
      assert.match(s, /^[A-Za-z0-9_-]{24}$/);
      assert.equal(Buffer.from(s, 'base64url').length, 18);
      seen.add(s);
    }
    assert.equal(seen.size, 1000);
  });
});
