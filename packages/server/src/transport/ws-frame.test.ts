import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Receiver } from 'ws';
import { encodeTextFrame, textFrameHeader } from './ws-frame.ts';

describe('WebSocket framing', () => {
  it('builds unmasked final text frame headers for each length class (RFC 6455 5.2)', () => {
    assert.deepEqual([...textFrameHeader(0)], [0x81, 0x00]);
    assert.deepEqual([...textFrameHeader(125)], [0x81, 125]);
    assert.deepEqual([...textFrameHeader(126)], [0x81, 126, 0x00, 126]);
    assert.deepEqual([...textFrameHeader(65_535)], [0x81, 126, 0xff, 0xff]);
    assert.deepEqual([...textFrameHeader(65_536)], [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert.deepEqual([...textFrameHeader(2 ** 32 + 5)], [0x81, 127, 0, 0, 0, 1, 0, 0, 0, 5]);
  });

  it('frames UTF-8 text by byte length', () => {
    assert.deepEqual([...encodeTextFrame('hé')], [0x81, 3, 0x68, 0xc3, 0xa9]);
  });

  it('produces frames that a real WebSocket parser reads back', async () => {
    const texts = ['', 'x'.repeat(200), 'ü'.repeat(40_000), '{"type":"message"}'];
    const receiver = new Receiver({ isServer: false });
    const got: string[] = [];
    receiver.on('message', (data: Buffer) => got.push(String(data)));
    for (const t of texts) {
      const frame = encodeTextFrame(t);
      // Feed it split in two, as a socket may deliver it.
      receiver.write(frame.subarray(0, 1));
      receiver.write(frame.subarray(1));
    }
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, texts);
  });
});
