import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cursorPrefix } from '@switchboard/protocol';
import { PreparedFrame, PreparedPublication } from '../core/prepared.ts';
import {
  SSE_EVENT,
  SSE_EXPLICIT_DATA,
  SSE_IMPLIED_DATA,
  SSE_MESSAGE_DATA,
  SSE_SINGLE_CHANNEL,
  SSE_SINGLE_EXPLICIT,
  SSE_SINGLE_IMPLIED,
  WEBSOCKET_BINARY,
  WEBSOCKET_EXPLICIT,
  WEBSOCKET_IMPLIED,
  WEBSOCKET_JSON,
} from './encoders.ts';

// Literal fixtures: the exact bytes each transport writes for a prepared frame.
const pub = new PreparedPublication({ channel: 'news', epoch: 'ab12', offset: 7, data: '"hi"', time: 1 });
const MESSAGE = '{"type":"message","channel":"news","epoch":"ab12","offset":7,"data":"hi"}';
const join = new PreparedFrame({ type: 'join', channel: 'news', client: { client: 'c1', user: null } });
const JOIN = '{"type":"join","channel":"news","client":{"client":"c1","user":null}}';

describe('transport encoders', () => {
  it('WebSocket: one unmasked final text frame carrying the JSON', () => {
    assert.equal(MESSAGE.length, 73);
    assert.deepEqual(
      pub.bytes(WEBSOCKET_JSON),
      Buffer.concat([Buffer.from([0x81, 73]), Buffer.from(MESSAGE)]),
    );
    assert.deepEqual(
      join.bytes(WEBSOCKET_JSON),
      Buffer.concat([Buffer.from([0x81, JOIN.length]), Buffer.from(JOIN)]),
    );
  });

  it('SSE: a publication is a default (message) event; other frames are named by their type', () => {
    assert.equal(pub.bytes(SSE_MESSAGE_DATA).toString(), `data: ${MESSAGE}\n\n`);
    assert.equal(join.bytes(SSE_EVENT).toString(), `event: join\ndata: ${JOIN}\n\n`);
  });

  it("SSE single-channel streams: the whole event, with the channel's cursor as id", () => {
    const prefix = cursorPrefix(['news']);
    assert.match(prefix, /^1\.[0-9a-z]+$/);
    assert.equal(pub.bytes(SSE_SINGLE_CHANNEL).toString(), `id: ${prefix}.ab12-7\ndata: ${MESSAGE}\n\n`);
    const other = new PreparedPublication({ channel: 'sport', epoch: 'cd', offset: 1, data: '1', time: 1 });
    assert.equal(
      other.bytes(SSE_SINGLE_CHANNEL).toString().split('\n')[0],
      `id: ${cursorPrefix(['sport'])}.cd-1`,
    );
  });

  it("SSE single-channel streams: a prefix carried by the prepared publication (the hub's record) is the codec's", () => {
    const data = { epoch: 'ab12', offset: 7, data: '"hi"', time: 1 };
    for (const channel of ['news', 'sport', 'news']) {
      const carried = new PreparedPublication({ channel, ...data }, 3, cursorPrefix([channel]));
      const hashed = new PreparedPublication({ channel, ...data }, 3);
      for (const encoder of [SSE_SINGLE_CHANNEL, SSE_SINGLE_IMPLIED, SSE_SINGLE_EXPLICIT])
        assert.deepEqual(carried.bytes(encoder), hashed.bytes(encoder), `${channel} ${encoder.name}`);
    }
  });

  it('SSE: a payload with line breaks in its JSON text still makes one data line per line', () => {
    const p = new PreparedPublication({ channel: 'n', epoch: 'e', offset: 1, data: '{\n"a":1\n}', time: 1 });
    assert.equal(
      p.bytes(SSE_MESSAGE_DATA).toString(),
      'data: {"type":"message","channel":"n","epoch":"e","offset":1,"data":{\ndata: "a":1\ndata: }}\n\n',
    );
  });

  it('bytes: data_b64 in the JSON (text frames, SSE); a binary frame holding the envelope, built once', () => {
    const bytes = new PreparedPublication({ channel: 'n', epoch: 'e', offset: 2, data: 'bAP8=', time: 1 });
    const json = '{"type":"message","channel":"n","epoch":"e","offset":2,"data_b64":"AP8="}';
    assert.equal(bytes.binary, true);
    assert.equal(bytes.json, json);
    assert.equal(bytes.bytes(SSE_MESSAGE_DATA).toString(), `data: ${json}\n\n`);
    const header = '{"type":"message","channel":"n","epoch":"e","offset":2}';
    assert.deepEqual(
      bytes.bytes(WEBSOCKET_BINARY),
      Buffer.concat([
        Buffer.from([0x82, 4 + header.length + 2, 0, 0, 0, header.length]),
        Buffer.from(header),
        Buffer.from([0x00, 0xff]),
      ]),
    );
    assert.equal(bytes.bytes(WEBSOCKET_BINARY), bytes.bytes(WEBSOCKET_BINARY));
    const info = new PreparedPublication({ ...bytes.publication, info: { client: 'c1', user: null } });
    const frame = info.bytes(WEBSOCKET_BINARY);
    const length = frame.readUInt32BE(2);
    assert.deepEqual(JSON.parse(frame.subarray(6, 6 + length).toString()), {
      type: 'message',
      channel: 'n',
      epoch: 'e',
      offset: 2,
      info: { client: 'c1', user: null },
    });
    assert.equal(new PreparedPublication({ ...bytes.publication, data: '{"k":1}' }).binary, false);
    assert.equal(bytes.conflationKey('k'), undefined);
  });

  describe('wire version 2: compact message frames', () => {
    const compact = new PreparedPublication(
      { channel: 'news', epoch: 'ab12', offset: 7, data: '{"a":[1,2]}', time: 1 },
      42,
    );

    it('the implied [sid,data] and explicit [sid,offset,data] forms, the payload text as it came', () => {
      assert.equal(compact.compactable, true);
      const implied = '[42,{"a":[1,2]}]';
      const explicit = '[42,7,{"a":[1,2]}]';
      assert.deepEqual(
        compact.bytes(WEBSOCKET_IMPLIED),
        Buffer.concat([Buffer.from([0x81, implied.length]), Buffer.from(implied)]),
      );
      assert.deepEqual(
        compact.bytes(WEBSOCKET_EXPLICIT),
        Buffer.concat([Buffer.from([0x81, explicit.length]), Buffer.from(explicit)]),
      );
      assert.equal(compact.bytes(SSE_IMPLIED_DATA).toString(), `data: ${implied}\n\n`);
      assert.equal(compact.bytes(SSE_EXPLICIT_DATA).toString(), `data: ${explicit}\n\n`);
      const id = `id: ${cursorPrefix(['news'])}.ab12-7\n`;
      assert.equal(compact.bytes(SSE_SINGLE_IMPLIED).toString(), `${id}data: ${implied}\n\n`);
      assert.equal(compact.bytes(SSE_SINGLE_EXPLICIT).toString(), `${id}data: ${explicit}\n\n`);
      // Built once: every connection of the node gets the same buffer.
      assert.equal(compact.bytes(WEBSOCKET_IMPLIED), compact.bytes(WEBSOCKET_IMPLIED));
      assert.equal(compact.bytes(SSE_SINGLE_IMPLIED), compact.bytes(SSE_SINGLE_IMPLIED));
      // The version 1 forms of the same publication are unchanged by its sid.
      assert.equal(compact.bytes(SSE_SINGLE_CHANNEL).toString(), `${id}data: ${compact.json}\n\n`);
      assert.ok(compact.json.startsWith('{"type":"message","channel":"news","epoch":"ab12","offset":7,'));
    });

    it('a payload with line breaks stays one data line per line in the compact SSE forms', () => {
      const p = new PreparedPublication(
        { channel: 'n', epoch: 'e', offset: 3, data: '{\n"a":1\n}', time: 1 },
        5,
      );
      assert.equal(p.bytes(SSE_IMPLIED_DATA).toString(), 'data: [5,{\ndata: "a":1\ndata: }]\n\n');
      assert.equal(p.bytes(SSE_EXPLICIT_DATA).toString(), 'data: [5,3,{\ndata: "a":1\ndata: }]\n\n');
    });

    it('not compactable: bytes, info, or a channel without a sid (the transports send the full frame)', () => {
      const base = { channel: 'n', epoch: 'e', offset: 2, data: '1', time: 1 };
      assert.equal(new PreparedPublication(base, 3).compactable, true);
      assert.equal(new PreparedPublication({ ...base, data: 'bAP8=' }, 3).compactable, false);
      assert.equal(
        new PreparedPublication({ ...base, info: { client: 'c', user: null } }, 3).compactable,
        false,
      );
      assert.equal(new PreparedPublication(base).compactable, false);
    });
  });
});
