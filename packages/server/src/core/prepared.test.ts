import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defineEncoder,
  messageFrameJson,
  type Prepared,
  PreparedFrame,
  PreparedPublication,
} from './prepared.ts';

const pub = { channel: 'chat:"x"', epoch: 'ab12', offset: 7, data: '{"text":"a\\nb"}', time: 1 };

describe('PreparedPublication', () => {
  it('builds the message frame JSON by splicing the payload text', () => {
    const json = messageFrameJson(pub);
    assert.equal(
      json,
      '{"type":"message","channel":"chat:\\"x\\"","epoch":"ab12","offset":7,"data":{"text":"a\\nb"}}',
    );
    assert.deepEqual(JSON.parse(json), {
      type: 'message',
      channel: 'chat:"x"',
      epoch: 'ab12',
      offset: 7,
      data: { text: 'a\nb' },
    });
    const withInfo = messageFrameJson({ ...pub, info: { client: 'c1', user: null } });
    assert.deepEqual(JSON.parse(withInfo).info, { client: 'c1', user: null });
    assert.equal(new PreparedPublication(pub).json, json);
  });

  it("builds each encoder's bytes once, on first use, and shares them", () => {
    const calls: string[] = [];
    const upper = defineEncoder<Prepared>('test-upper', (f) => {
      calls.push('upper');
      return Buffer.from(f.json.toUpperCase());
    });
    const offset = defineEncoder<PreparedPublication>('test-offset', (p) => {
      calls.push('offset');
      return Buffer.from(String(p.publication.offset));
    });
    assert.notEqual(upper.slot, offset.slot);
    const p = new PreparedPublication(pub);
    assert.deepEqual(calls, [], 'nothing is encoded before a connection asks');
    const first = p.bytes(upper);
    assert.equal(p.bytes(upper), first);
    assert.equal(p.bytes(offset).toString(), '7');
    assert.equal(p.bytes(offset), p.bytes(offset));
    assert.deepEqual(calls, ['upper', 'offset']);
    // Another publication has its own bytes.
    assert.notEqual(new PreparedPublication({ ...pub, offset: 8 }).bytes(offset).toString(), '7');
  });
});

describe('Prepared: encoders that build on each other', () => {
  it('keeps both when one encoder uses another (as the SSE event builds on the data block)', () => {
    const calls: string[] = [];
    const inner = defineEncoder<Prepared>('test-inner', (f) => {
      calls.push('inner');
      return Buffer.from(f.type);
    });
    const outer = defineEncoder<Prepared>('test-outer', (f) => {
      calls.push('outer');
      return Buffer.concat([Buffer.from('<'), f.bytes(inner), Buffer.from('>')]);
    });
    const p = new PreparedPublication(pub);
    assert.equal(p.bytes(outer).toString(), '<message>');
    assert.equal(p.bytes(inner).toString(), 'message');
    assert.equal(p.bytes(outer), p.bytes(outer));
    assert.deepEqual(calls, ['outer', 'inner']);
  });
});

describe('PreparedFrame', () => {
  it('serializes a broadcast frame once, keeping the frame and its type', () => {
    const frame = { type: 'leave', channel: 'c', client: { client: 'x', user: 'u' } } as const;
    const p = new PreparedFrame(frame);
    assert.equal(p.type, 'leave');
    assert.equal(p.frame, frame);
    assert.equal(p.json, '{"type":"leave","channel":"c","client":{"client":"x","user":"u"}}');
  });
});
