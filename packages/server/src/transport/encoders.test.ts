import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cursorPrefix } from '@switchboard/protocol';
import { PreparedFrame, PreparedPublication } from '../core/prepared.ts';
import {
  SSE_EVENT,
  SSE_MESSAGE_DATA,
  SSE_SINGLE_CHANNEL,
  WEBSOCKET_BINARY,
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
});
