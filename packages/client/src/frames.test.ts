import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEnvelope, encodeEnvelope } from '@switchboard/protocol';
import { CompactFrames, commandEnvelope, commandText, parseBinaryFrame, parseFrame } from './frames.ts';
import { openWebSocket } from './transport/websocket.ts';

const BYTES = Uint8Array.from([0, 1, 254, 255]);

describe('frames with bytes', () => {
  it('data_b64 in a message or history frame comes out as data, a Uint8Array', () => {
    const m = parseFrame('{"type":"message","channel":"a","epoch":"e","offset":1,"data_b64":"AAH+/w=="}');
    assert.deepEqual(m, { type: 'message', channel: 'a', epoch: 'e', offset: 1, data: BYTES });
    const h = parseFrame(
      '{"type":"history","channel":"a","epoch":"e","offset":2,"publications":[{"epoch":"e","offset":1,"data_b64":"AAH+/w=="},{"epoch":"e","offset":2,"data":{"x":1}}]}',
    );
    assert.ok(h?.type === 'history');
    assert.deepEqual(
      h.publications.map((p) => p.data),
      [BYTES, { x: 1 }],
    );
  });

  it('a binary frame is a message frame whose data is its payload', () => {
    const frame = encodeEnvelope('{"type":"message","channel":"a","epoch":"e","offset":3}', BYTES);
    assert.deepEqual(parseBinaryFrame(frame), {
      type: 'message',
      channel: 'a',
      epoch: 'e',
      offset: 3,
      data: BYTES,
    });
    assert.equal(parseBinaryFrame(encodeEnvelope('{"type":"publish"}', BYTES)), null);
    assert.equal(parseBinaryFrame(Uint8Array.from([0, 0, 0, 9])), null);
  });

  it('a publish of bytes is data_b64 in JSON, or an envelope; other commands are plain JSON', () => {
    const publish = { type: 'publish' as const, id: 1, channel: 'a', data: BYTES };
    assert.equal(commandText(publish), '{"type":"publish","id":1,"channel":"a","data_b64":"AAH+/w=="}');
    const envelope = commandEnvelope(publish);
    assert.ok(envelope !== null);
    const read = decodeEnvelope(envelope);
    assert.ok(read.ok);
    assert.deepEqual([read.header, read.payload], [{ type: 'publish', id: 1, channel: 'a' }, BYTES]);
    assert.equal(commandEnvelope({ type: 'publish', channel: 'a', data: [1] }), null);
    assert.equal(commandText({ type: 'ping', id: 2 }), '{"type":"ping","id":2}');
  });

  it('the WebSocket transport offers switchboard.binary and sends bytes as a binary frame once it is agreed', () => {
    const made: FakeSocket[] = [];
    class FakeSocket {
      readonly sent: unknown[] = [];
      readonly protocols: unknown;
      binaryType = 'blob';
      readyState = 1;
      protocol = 'switchboard.binary';
      onmessage: ((e: { data: unknown }) => void) | null = null;
      onclose = null;
      onerror = null;
      constructor(_url: string, protocols: unknown) {
        this.protocols = protocols;
        made.push(this);
      }
      send(data: unknown) {
        this.sent.push(data);
      }
      close() {}
    }
    const frames: unknown[] = [];
    const t = openWebSocket({
      base: 'http://h',
      token: undefined,
      channels: [],
      deps: {
        WebSocket: FakeSocket as unknown as typeof WebSocket,
        EventSource: undefined,
        fetch: undefined,
      },
      maxEventBytes: 1024,
      handlers: { frame: (f) => frames.push(f), alive: () => {}, closed: () => {} },
    });
    const ws = made[0]!;
    assert.deepEqual([ws.protocols, ws.binaryType], [['switchboard.binary'], 'arraybuffer']);
    t.send({ type: 'publish', id: 1, channel: 'a', data: BYTES });
    assert.ok(ws.sent[0] instanceof Uint8Array);
    ws.protocol = '';
    t.send({ type: 'publish', id: 2, channel: 'a', data: BYTES });
    assert.equal(ws.sent[1], '{"type":"publish","id":2,"channel":"a","data_b64":"AAH+/w=="}');
    const incoming = encodeEnvelope('{"type":"message","channel":"a","epoch":"e","offset":1}', BYTES);
    ws.onmessage?.({ data: incoming.buffer });
    assert.deepEqual(frames, [{ type: 'message', channel: 'a', epoch: 'e', offset: 1, data: BYTES }]);
    t.close();
  });
});

describe('wire version 2: compact frames', () => {
  /** Parses and tracks every frame as a transport does; returns the frames as the client sees them. */
  const read = (wire: CompactFrames, texts: string[]) =>
    texts.map((t) => {
      const f = parseFrame(t, wire);
      if (f !== null) wire.track(f);
      return f;
    });

  it('expands [sid,data] and [sid,offset,data] by the subscribed channel and its last position', () => {
    const wire = new CompactFrames();
    const frames = read(wire, [
      '{"type":"subscribed","channel":"a","epoch":"e","offset":4,"recoverable":true,"sid":7}',
      '{"type":"subscribed","channel":"b","epoch":"f","offset":0,"recoverable":true,"sid":8}',
      '[7,{"x":1}]',
      '[8,"b1"]',
      '[7,9,null]',
      '[7,[1,2]]',
      '{"type":"message","channel":"a","epoch":"g","offset":1,"data":"new epoch"}',
      '[7,"after"]',
      '[99,"unknown sid"]',
      '[7]',
    ]);
    const messages = frames.filter((f) => f?.type === 'message');
    assert.deepEqual(
      messages.map((m) => m?.type === 'message' && [m.channel, m.epoch, m.offset, m.data]),
      [
        ['a', 'e', 5, { x: 1 }],
        ['b', 'f', 1, 'b1'],
        ['a', 'e', 9, null],
        ['a', 'e', 10, [1, 2]],
        ['a', 'g', 1, 'new epoch'],
        ['a', 'g', 2, 'after'],
      ],
    );
    assert.equal(frames.at(-1), null);
    assert.equal(frames.at(-2), null);
  });

  it('forgets a channel on unsubscribed, and without a reader (or a sid) arrays are not frames', () => {
    const wire = new CompactFrames();
    const frames = read(wire, [
      '{"type":"subscribed","channel":"a","epoch":"e","offset":0,"recoverable":true,"sid":1}',
      '{"type":"unsubscribed","channel":"a"}',
      '[1,"late"]',
      '{"type":"subscribed","channel":"c","epoch":"e","offset":0,"recoverable":true}',
      '[1,"still nothing"]',
    ]);
    assert.equal(frames[2], null);
    assert.equal(frames[4], null);
    assert.equal(parseFrame('[1,"x"]'), null);
  });
});
