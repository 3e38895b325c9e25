import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRates } from './sse.ts';

describe('parseRates (the SSE rate= parameter)', () => {
  const channels = ['quotes:AAPL', 'quotes:MSFT', 'news'];

  it('rate=<n> is every channel; rate=<channel>:<n> one channel, split at the last colon, and wins', () => {
    assert.deepEqual([...(parseRates([], channels) as Map<string, number>)], []);
    assert.deepEqual(
      [...(parseRates(['5', 'quotes:AAPL:20'], channels) as Map<string, number>)],
      [
        ['quotes:AAPL', 20],
        ['quotes:MSFT', 5],
        ['news', 5],
      ],
    );
    assert.deepEqual([...(parseRates(['news:1'], channels) as Map<string, number>)], [['news', 1]]);
  });

  it('refuses malformed values, out-of-range rates and channels the stream does not have', () => {
    for (const bad of ['', '0', '10001', '1.5', '-1', 'fast', 'news:', 'quotes:GOOG:5', 'quotes:5'])
      assert.equal(typeof parseRates([bad], channels), 'string', bad);
  });
});
